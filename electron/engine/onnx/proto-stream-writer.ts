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

function sortedFields(desc: DescMessage): DescField[] {
  let fields = sortedFieldCache.get(desc);
  if (!fields) {
    fields = desc.fields.concat().sort((a, b) => a.number - b.number);
    for (const f of fields) {
      if (f.fieldKind === 'map') throw new Error(`map fields are not supported (${desc.typeName}.${f.name})`);
      if (f.fieldKind === 'message' && f.delimitedEncoding)
        throw new Error(`groups are not supported (${f.name})`);
    }
    sortedFieldCache.set(desc, fields);
  }
  return fields;
}
const sortedFieldCache = new WeakMap<DescMessage, DescField[]>();

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
  private readonly sizes = new WeakMap<object, number>();
  private readonly substituted = new WeakMap<object, Message>();
  private readonly staging = Buffer.allocUnsafe(STAGING_BYTES);
  private used = 0;
  private readonly view = new DataView(this.staging.buffer, this.staging.byteOffset, this.staging.byteLength);

  constructor(
    private readonly sink: ByteSink,
    private readonly substitute?: MessageSubstitute,
  ) {}

  /** Total serialized size of `message`, computing and caching the sizes of every nested message. */
  measure(desc: DescMessage, message: Message): number {
    return this.sizeOf(desc, this.resolve(desc, message));
  }

  /** Writes `message` (measured first if needed) and flushes. */
  write(desc: DescMessage, message: Message): void {
    const resolved = this.resolve(desc, message);
    this.sizeOf(desc, resolved);
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
    const cached = this.sizes.get(message);
    if (cached !== undefined) return cached;
    const msg = message as AnyMessage;
    let size = 0;
    for (const field of sortedFields(desc)) {
      const tag = tagSize(field.number);
      if (field.fieldKind === 'list') {
        const items = msg[field.localName] as unknown[];
        if (items.length === 0) continue;
        if (field.listKind === 'message') {
          for (const item of items) {
            const child = this.resolve(field.message, item as Message);
            const n = this.sizeOf(field.message, child);
            size += tag + varintSize(n) + n;
          }
        } else {
          const type = scalarTypeOf(field);
          let payload = 0;
          for (const item of items) payload += scalarSize(type, item);
          size += field.packed ? tag + varintSize(payload) + payload : items.length * tag + payload;
        }
        continue;
      }
      const value = singularValue(field, msg);
      if (value === undefined) continue;
      if (field.fieldKind === 'message') {
        const child = this.resolve(field.message, value as Message);
        const n = this.sizeOf(field.message, child);
        size += tag + varintSize(n) + n;
      } else {
        size += tag + scalarSize(scalarTypeOf(field), value);
      }
    }
    for (const u of msg.$unknown ?? []) size += tagSize(u.no) + u.data.byteLength;
    this.sizes.set(message, size);
    return size;
  }

  private writeMessage(desc: DescMessage, msg: AnyMessage): void {
    for (const field of sortedFields(desc)) {
      if (field.fieldKind === 'list') {
        const items = msg[field.localName] as unknown[];
        if (items.length === 0) continue;
        if (field.listKind === 'message') {
          for (const item of items) this.writeChild(field.number, field.message, item as Message);
        } else {
          const type = scalarTypeOf(field);
          if (field.packed) {
            let payload = 0;
            for (const item of items) payload += scalarSize(type, item);
            this.tag(field.number, LENGTH_DELIMITED);
            this.varint(payload);
            for (const item of items) this.scalar(type, item);
          } else {
            const wire = wireTypeOf(type);
            for (const item of items) {
              this.tag(field.number, wire);
              this.scalar(type, item);
            }
          }
        }
        continue;
      }
      const value = singularValue(field, msg);
      if (value === undefined) continue;
      if (field.fieldKind === 'message') {
        this.writeChild(field.number, field.message, value as Message);
      } else {
        const type = scalarTypeOf(field);
        this.tag(field.number, wireTypeOf(type));
        this.scalar(type, value);
      }
    }
    for (const u of msg.$unknown ?? []) {
      this.tag(u.no, u.wireType);
      this.bytesRaw(u.data);
    }
  }

  private writeChild(fieldNo: number, desc: DescMessage, message: Message): void {
    const child = this.resolve(desc, message);
    const size = this.sizes.get(child);
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
    // The sink may keep the chunk (in-memory sinks do), so hand it a copy of the staging area.
    this.sink.write(Uint8Array.prototype.slice.call(this.staging, 0, this.used));
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
