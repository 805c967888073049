import { ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';

/**
 * A protobuf serializer that streams: it computes every message's size first, then emits the bytes in
 * order to a sink, passing large `bytes` fields (tensor data) through by reference instead of copying them
 * into one giant buffer. protobuf-es's `toBinary` copies each nested message into its parent, so a weight
 * inside TensorProto > GraphProto > ModelProto is copied three times and the whole model sits in memory twice.
 *
 * The output is byte-for-byte what protobuf-es (and C++ protobuf) writes: fields in field-number order,
 * proto2 presence rules, unknown fields re-emitted after the known ones. Tests check this on ONNX's whole
 * backend test-model collection.
 */

/** Receives the serialized bytes in order. Chunks may alias the caller's data: copy if kept. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  /**
   * True when the sink is done with each chunk once write() returns (it wrote or copied it): the writer
   * then hands over its reusable staging buffer instead of a copy. Leave unset for sinks that keep chunks.
   */
  readonly consumesChunks?: boolean;
}

/** Lets the caller swap a message for another at write time (e.g. move a tensor's data to an external file). */
export type MessageSubstitute = (desc: DescMessage, message: Message) => Message;

type AnyMessage = Message &
  Record<string, unknown> & { $unknown?: { no: number; wireType: number; data: Uint8Array }[] };

// proto2 presence, from google.protobuf.FeatureSet.FieldPresence.
const IMPLICIT = 2;
const LENGTH_DELIMITED = 2;
const VARINT = 0;
const BIT64 = 1;
const BIT32 = 5;
const TWO_POW_64 = 1n << 64n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Byte fields at least this long are handed to the sink by reference. */
const LARGE_BYTES = 64 * 1024;
const STAGING_BYTES = 1 << 20;
const textEncoder = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EMPTY = Buffer.alloc(0);

const SINGULAR_MESSAGE = 0;
const MESSAGE_LIST = 1;
const SINGULAR_SCALAR = 2;
const SCALAR_LIST = 3;

/**
 * What the writer needs to know about one field, computed once per message type. DescField objects
 * differ in shape by field kind, so reading them in the hot loops was megamorphic; plans all share one.
 */
interface FieldPlan {
  readonly field: DescField;
  readonly localName: string;
  readonly number: number;
  readonly tagSize: number;
  readonly kind: typeof SINGULAR_MESSAGE | typeof MESSAGE_LIST | typeof SINGULAR_SCALAR | typeof SCALAR_LIST;
  /** The child type of message fields (undefined for scalars). */
  readonly message: DescMessage | undefined;
  /** The scalar type of scalar and enum fields (enums are INT32 on the wire). */
  readonly scalar: ScalarType;
  readonly wire: number;
  readonly packed: boolean;
}

function planOf(desc: DescMessage, field: DescField): FieldPlan {
  if (field.fieldKind === 'map')
    throw new Error(`map fields are not supported (${desc.typeName}.${field.name})`);
  if (field.fieldKind === 'message' && field.delimitedEncoding)
    throw new Error(`groups are not supported (${field.name})`);
  const isList = field.fieldKind === 'list';
  const message =
    field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')
      ? field.message
      : undefined;
  const scalar = message ? ScalarType.BYTES : scalarTypeOf(field);
  return {
    field,
    localName: field.localName,
    number: field.number,
    tagSize: tagSize(field.number),
    kind: message ? (isList ? MESSAGE_LIST : SINGULAR_MESSAGE) : isList ? SCALAR_LIST : SINGULAR_SCALAR,
    message,
    scalar,
    wire: message ? LENGTH_DELIMITED : wireTypeOf(scalar),
    packed: isList && !message && field.packed,
  };
}

/** The fields of a message type in field-number order (the order protobuf writes them). */
function fieldPlans(desc: DescMessage): FieldPlan[] {
  let plans = fieldPlanCache.get(desc);
  if (!plans) {
    plans = desc.fields
      .concat()
      .sort((a, b) => a.number - b.number)
      .map((f) => planOf(desc, f));
    fieldPlanCache.set(desc, plans);
  }
  return plans;
}
const fieldPlanCache = new WeakMap<DescMessage, FieldPlan[]>();

function varintSize(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function varint64Size(value: bigint): number {
  let v = value < 0n ? value + TWO_POW_64 : value;
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

function toBigInt(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as string | number);
}

function tagSize(fieldNo: number): number {
  return varintSize(fieldNo << 3);
}

/** Whether a singular field is present under protobuf-es's rules. */
function singularValue(field: DescField, message: AnyMessage): unknown {
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'enum' && field.fieldKind !== 'message')
    return undefined;
  if (field.oneof) {
    const oneof = message[field.oneof.localName] as { case?: string; value?: unknown };
    return oneof.case === field.localName ? oneof.value : undefined;
  }
  const value = message[field.localName];
  if (field.presence !== IMPLICIT) {
    return value !== undefined && Object.prototype.hasOwnProperty.call(message, field.localName)
      ? value
      : undefined;
  }
  // proto3 implicit presence: zero values are not written.
  if (field.fieldKind === 'enum') return value === field.enum.values[0]?.number ? undefined : value;
  if (value instanceof Uint8Array) return value.byteLength > 0 ? value : undefined;
  if (typeof value === 'number') return Object.is(value, 0) ? undefined : value;
  if (value === '' || value === false || value === 0n || value === '0') return undefined;
  return value;
}

function scalarTypeOf(field: DescField): ScalarType {
  if (field.fieldKind === 'enum' || (field.fieldKind === 'list' && field.listKind === 'enum'))
    return ScalarType.INT32;
  if (field.fieldKind === 'scalar') return field.scalar;
  if (field.fieldKind === 'list' && field.listKind === 'scalar') return field.scalar;
  throw new Error(`not a scalar field: ${field.name}`);
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return BIT32;
    default:
      return VARINT;
  }
}

/** Bytes per element of the fixed-width scalar types, undefined for varints and strings/bytes. */
function fixedWidthOf(type: ScalarType): number | undefined {
  switch (type) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 8;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return 4;
    case ScalarType.BOOL:
      return 1;
    default:
      return undefined;
  }
}

/** Bytes of the values of a repeated scalar field, without tags (the payload when packed). */
function listPayloadSize(type: ScalarType, items: unknown[]): number {
  // Fixed-width lists (float_data, double_data: millions of elements in some models) need no loop.
  const width = fixedWidthOf(type);
  if (width !== undefined) return items.length * width;
  let payload = 0;
  for (const item of items) payload += scalarSize(type, item);
  return payload;
}

function scalarSize(type: ScalarType, value: unknown): number {
  switch (type) {
    case ScalarType.STRING: {
      const n = Buffer.byteLength(value as string, 'utf8');
      return varintSize(n) + n;
    }
    case ScalarType.BYTES: {
      const n = (value as Uint8Array).byteLength;
      return varintSize(n) + n;
    }
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 8;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return 4;
    case ScalarType.BOOL:
      return 1;
    case ScalarType.INT32:
      return varintSize(value as number);
    case ScalarType.UINT32:
      return varintSize(value as number);
    case ScalarType.INT64:
    case ScalarType.UINT64: {
      if (typeof value === 'number' && value >= 0) return varintSize(value);
      if (typeof value === 'bigint' && value >= 0n && value <= MAX_SAFE) return varintSize(Number(value));
      return varint64Size(toBigInt(value));
    }
    default:
      throw new Error(`unsupported scalar type ${ScalarType[type]}`);
  }
}

/** Serializes a message tree in two passes: sizes, then bytes. */
export class StreamingProtoWriter {
  /** Sizes of every message of the last measured tree, in the (pre-)order write() visits them. */
  private sizes: number[] = [];
  private measuredRoot: Message | undefined;
  private cursor = 0;
  private readonly substituted = new WeakMap<object, Message>();
  // Allocated by write() once the size is known: a small message gets a small buffer (saving many small
  // models must not allocate, and garbage-collect, 1 MiB each time).
  private staging = EMPTY;
  private used = 0;
  private view = new DataView(EMPTY.buffer, EMPTY.byteOffset, EMPTY.byteLength);

  constructor(
    private readonly sink: ByteSink,
    private readonly substitute?: MessageSubstitute,
  ) {}

  /** Total serialized size of `message`, computing and caching the sizes of every nested message. */
  measure(desc: DescMessage, message: Message): number {
    const root = this.resolve(desc, message);
    if (this.measuredRoot === root) return this.sizes[0]!;
    this.sizes = [];
    this.measuredRoot = root;
    return this.sizeOf(desc, root);
  }

  /** Writes `message` (measured first if needed) and flushes. */
  write(desc: DescMessage, message: Message): void {
    const resolved = this.resolve(desc, message);
    const size = this.measure(desc, message);
    // No single ensure(n) asks for more than max(size, 10) bytes (a varint reserves 10), so size + 16
    // always suffices; STAGING_BYTES caps it for large models, whose big bytes fields bypass staging.
    const capacity = Math.min(STAGING_BYTES, size + 16);
    if (this.staging.byteLength < capacity) {
      this.staging = Buffer.allocUnsafe(capacity);
      this.view = new DataView(this.staging.buffer, this.staging.byteOffset, this.staging.byteLength);
    }
    this.cursor = 1;
    this.writeMessage(desc, resolved as AnyMessage);
    this.flush();
  }

  private resolve(desc: DescMessage, message: Message): Message {
    if (!this.substitute) return message;
    let result = this.substituted.get(message);
    if (!result) {
      result = this.substitute(desc, message);
      this.substituted.set(message, result);
    }
    return result;
  }

  private sizeOf(desc: DescMessage, message: Message): number {
    const slot = this.sizes.length;
    this.sizes.push(0);
    const msg = message as AnyMessage;
    let size = 0;
    for (const plan of fieldPlans(desc)) {
      const tag = plan.tagSize;
      if (plan.kind === MESSAGE_LIST) {
        const items = msg[plan.localName] as Message[];
        const childDesc = plan.message!;
        for (const item of items) {
          const n = this.sizeOf(childDesc, this.resolve(childDesc, item));
          size += tag + varintSize(n) + n;
        }
      } else if (plan.kind === SCALAR_LIST) {
        const items = msg[plan.localName] as unknown[];
        if (items.length === 0) continue;
        const payload = listPayloadSize(plan.scalar, items);
        size += plan.packed ? tag + varintSize(payload) + payload : items.length * tag + payload;
      } else {
        const value = singularValue(plan.field, msg);
        if (value === undefined) continue;
        if (plan.kind === SINGULAR_MESSAGE) {
          const n = this.sizeOf(plan.message!, this.resolve(plan.message!, value as Message));
          size += tag + varintSize(n) + n;
        } else {
          size += tag + scalarSize(plan.scalar, value);
        }
      }
    }
    const unknown = msg.$unknown;
    if (unknown) for (const u of unknown) size += tagSize(u.no) + u.data.byteLength;
    this.sizes[slot] = size;
    return size;
  }

  private writeMessage(desc: DescMessage, msg: AnyMessage): void {
    for (const plan of fieldPlans(desc)) {
      if (plan.kind === MESSAGE_LIST) {
        const items = msg[plan.localName] as Message[];
        for (const item of items) this.writeChild(plan.number, plan.message!, item);
      } else if (plan.kind === SCALAR_LIST) {
        const items = msg[plan.localName] as unknown[];
        if (items.length === 0) continue;
        const type = plan.scalar;
        if (plan.packed) {
          this.tag(plan.number, LENGTH_DELIMITED);
          this.varint(listPayloadSize(type, items));
          if (type === ScalarType.FLOAT || type === ScalarType.DOUBLE) {
            this.packedFloats(items as number[], type === ScalarType.FLOAT ? 4 : 8);
          } else {
            for (const item of items) this.scalar(type, item);
          }
        } else {
          for (const item of items) {
            this.tag(plan.number, plan.wire);
            this.scalar(type, item);
          }
        }
      } else {
        const value = singularValue(plan.field, msg);
        if (value === undefined) continue;
        if (plan.kind === SINGULAR_MESSAGE) {
          this.writeChild(plan.number, plan.message!, value as Message);
        } else {
          this.tag(plan.number, plan.wire);
          this.scalar(plan.scalar, value);
        }
      }
    }
    const unknown = msg.$unknown;
    if (unknown) {
      for (const u of unknown) {
        this.tag(u.no, u.wireType);
        this.bytesRaw(u.data);
      }
    }
  }

  private writeChild(fieldNo: number, desc: DescMessage, message: Message): void {
    const child = this.resolve(desc, message);
    const size = this.sizes[this.cursor++];
    if (size === undefined) throw new Error('internal: message written before it was measured');
    this.tag(fieldNo, LENGTH_DELIMITED);
    this.varint(size);
    this.writeMessage(desc, child as AnyMessage);
  }

  private ensure(n: number): void {
    if (this.used + n > this.staging.byteLength) this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    // A sink that may keep the chunk (in-memory sinks do) gets a copy of the staging area.
    this.sink.write(
      this.sink.consumesChunks
        ? this.staging.subarray(0, this.used)
        : Uint8Array.prototype.slice.call(this.staging, 0, this.used),
    );
    this.used = 0;
  }

  private tag(fieldNo: number, wireType: number): void {
    this.varint(((fieldNo << 3) | wireType) >>> 0);
  }

  private varint(value: number): void {
    this.ensure(10);
    if (value < 0) {
      // Negative int32: sign-extended to 64 bits, always 10 bytes.
      this.varint64(BigInt(value) + TWO_POW_64);
      return;
    }
    while (value >= 0x80) {
      this.staging[this.used++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.staging[this.used++] = value;
  }

  private varint64(value: bigint): void {
    this.ensure(10);
    let v = value < 0n ? value + TWO_POW_64 : value;
    while (v >= 0x80n) {
      this.staging[this.used++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.staging[this.used++] = Number(v);
  }

  /**
   * The elements of a packed float / double list, in tight loops over the staging area: the generic
   * per-element path boxes every value and made float_data weights ~10x slower to write.
   */
  private packedFloats(items: number[], width: 4 | 8): void {
    // Lists decoded by decode-model.ts are typed arrays over the file's little-endian bytes: write those
    // bytes as they are (by reference when large), which also keeps NaN payloads bit for bit.
    const typed = items as unknown as Float32Array | Float64Array;
    if (
      LITTLE_ENDIAN &&
      (typed instanceof Float32Array ? width === 4 : typed instanceof Float64Array && width === 8)
    ) {
      this.bytesRaw(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
      return;
    }
    const n = items.length;
    let i = 0;
    while (i < n) {
      this.ensure(width);
      const end = Math.min(n, i + Math.floor((this.staging.byteLength - this.used) / width));
      const view = this.view;
      let used = this.used;
      if (width === 4) {
        for (; i < end; i++, used += 4) view.setFloat32(used, items[i]!, true);
      } else {
        for (; i < end; i++, used += 8) view.setFloat64(used, items[i]!, true);
      }
      this.used = used;
    }
  }

  private bytesRaw(data: Uint8Array): void {
    if (data.byteLength >= LARGE_BYTES) {
      this.flush();
      this.sink.write(data);
      return;
    }
    this.ensure(data.byteLength);
    this.staging.set(data, this.used);
    this.used += data.byteLength;
  }

  private scalar(type: ScalarType, value: unknown): void {
    switch (type) {
      case ScalarType.STRING: {
        const s = value as string;
        const n = Buffer.byteLength(s, 'utf8');
        this.varint(n);
        if (n <= this.staging.byteLength) {
          this.ensure(n);
          this.used += this.staging.write(s, this.used, 'utf8');
        } else {
          this.bytesRaw(textEncoder.encode(s));
        }
        return;
      }
      case ScalarType.BYTES: {
        const b = value as Uint8Array;
        this.varint(b.byteLength);
        this.bytesRaw(b);
        return;
      }
      case ScalarType.DOUBLE:
        this.ensure(8);
        this.view.setFloat64(this.used, value as number, true);
        this.used += 8;
        return;
      case ScalarType.FLOAT:
        this.ensure(4);
        this.view.setFloat32(this.used, value as number, true);
        this.used += 4;
        return;
      case ScalarType.FIXED64:
      case ScalarType.SFIXED64:
        this.ensure(8);
        this.view.setBigUint64(this.used, BigInt.asUintN(64, toBigInt(value)), true);
        this.used += 8;
        return;
      case ScalarType.FIXED32:
      case ScalarType.SFIXED32:
        this.ensure(4);
        this.view.setUint32(this.used, (value as number) >>> 0, true);
        this.used += 4;
        return;
      case ScalarType.BOOL:
        this.ensure(1);
        this.staging[this.used++] = value ? 1 : 0;
        return;
      case ScalarType.INT32:
      case ScalarType.UINT32:
        this.varint(value as number);
        return;
      case ScalarType.INT64:
      case ScalarType.UINT64:
        if (typeof value === 'number' && value >= 0) this.varint(value);
        else if (typeof value === 'bigint' && value >= 0n && value <= MAX_SAFE) this.varint(Number(value));
        else this.varint64(toBigInt(value));
        return;
      default:
        throw new Error(`unsupported scalar type ${ScalarType[type]}`);
    }
  }
}

/** Serializes into memory (tests, small messages). */
export function serializeToBytes(
  desc: DescMessage,
  message: Message,
  substitute?: MessageSubstitute,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  new StreamingProtoWriter({ write: (c) => chunks.push(c) }, substitute).write(desc, message);
  return Buffer.concat(chunks);
}
