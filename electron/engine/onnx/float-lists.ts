import type { TensorProto } from 'onnx-buf';

/*
 * TensorProto.float_data and double_data as typed arrays over the file's bytes (see decode-model.ts for
 * why). Both decoders use this: the hand-specialised one (fast-decode.ts) hands it the records of the two
 * fields as it meets them, and the schema-variant one finds them among a tensor's unknown fields.
 */

export const FLOAT_DATA = 4;
export const DOUBLE_DATA = 10;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED64 = 1;
const WIRE_FIXED32 = 5;

/** One record of a field as protobuf-es keeps an unknown field: its payload (after the tag) and wire type. */
export type UnknownField = { no: number; wireType: number; data: Uint8Array };

/** Reads a varint length prefix: [value, bytes it took]. */
function lengthPrefix(data: Uint8Array): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < data.length && i < 5; i++) {
    const byte = data[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i + 1];
    shift += 7;
  }
  throw new Error('a tensor value list has a malformed length');
}

/**
 * The values of one float list field from its records, in order. `width` is 4 (float) or 8 (double);
 * `single` is the wire type of one unpacked element; `field` names the list and its tensor, e.g.
 * "float_data of tensor 'fc1.weight'".
 */
function valuesOf(records: UnknownField[], width: 4 | 8, single: number, field: string): Uint8Array {
  const runs: Uint8Array[] = [];
  for (const record of records) {
    if (record.wireType === WIRE_LENGTH_DELIMITED) {
      const [length, prefix] = lengthPrefix(record.data);
      if (length % width !== 0 || prefix + length > record.data.byteLength)
        throw new Error(`the ${field} holds ${length} bytes, not a whole number of values`);
      runs.push(record.data.subarray(prefix, prefix + length));
    } else if (record.wireType === single) {
      runs.push(record.data);
    } else {
      throw new Error(`the ${field} has wire type ${record.wireType}, which a value list cannot have`);
    }
  }
  if (runs.length === 1) return runs[0]!;
  const total = runs.reduce((sum, r) => sum + r.byteLength, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const r of runs) {
    joined.set(r, at);
    at += r.byteLength;
  }
  return joined;
}

/** A typed array over the bytes: a view when aligned, else over a copy. */
function typedValues(bytes: Uint8Array, width: 4 | 8): Float32Array | Float64Array {
  // new Uint8Array(bytes) copies (a Buffer's slice() would not).
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  const count = aligned.byteLength / width;
  return width === 4
    ? new Float32Array(aligned.buffer, aligned.byteOffset, count)
    : new Float64Array(aligned.buffer, aligned.byteOffset, count);
}

type TypedLists = { floatData: ArrayLike<number>; doubleData: ArrayLike<number> };

/** `existing` followed by the values of `records` (the typed array alone when there was nothing before). */
function appended(
  existing: ArrayLike<number> | undefined,
  records: UnknownField[],
  width: 4 | 8,
  field: string,
): ArrayLike<number> {
  if (records.length === 0) return existing ?? [];
  const values = typedValues(
    valuesOf(records, width, width === 4 ? WIRE_FIXED32 : WIRE_FIXED64, field),
    width,
  );
  if (!existing || existing.length === 0) return values;
  // Only a tensor merged from two records of one singular field gets here.
  const joined =
    width === 4
      ? new Float32Array(existing.length + values.length)
      : new Float64Array(existing.length + values.length);
  joined.set(existing);
  joined.set(values, existing.length);
  return joined;
}

/**
 * Sets a tensor's floatData/doubleData from the records of fields 4 and 10, after any values it already
 * holds (typed arrays; an empty list when there are none).
 */
export function setFloatLists(tensor: TensorProto, floats: UnknownField[], doubles: UnknownField[]): void {
  const lists = tensor as unknown as TypedLists;
  const has = Object.prototype.hasOwnProperty.call(tensor, 'floatData');
  const of = `of tensor '${tensor.name || '(unnamed)'}'`;
  lists.floatData = appended(has ? lists.floatData : undefined, floats, 4, `float_data ${of}`);
  lists.doubleData = appended(has ? lists.doubleData : undefined, doubles, 8, `double_data ${of}`);
}

/**
 * Moves float_data/double_data from a tensor's unknown fields (where the schema variant without those
 * fields leaves them) into the fields, as typed arrays. Safe to call again on the same tensor.
 */
export function restoreFloatLists(tensor: TensorProto): void {
  const record = tensor as unknown as { $unknown?: UnknownField[] };
  const unknown = record.$unknown;
  if (!unknown) {
    setFloatLists(tensor, [], []);
    return;
  }
  const floats = unknown.filter((u) => u.no === FLOAT_DATA);
  const doubles = unknown.filter((u) => u.no === DOUBLE_DATA);
  setFloatLists(tensor, floats, doubles);
  if (floats.length + doubles.length > 0) {
    const rest = unknown.filter((u) => u.no !== FLOAT_DATA && u.no !== DOUBLE_DATA);
    if (rest.length > 0) record.$unknown = rest;
    else delete record.$unknown;
  }
}
