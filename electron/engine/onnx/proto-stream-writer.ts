import { ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  TensorProtoSchema,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { codecFor, type CodecWriter, type MessageCodec } from './hot-encoders.js';
import { verbatimSource, type VerbatimSource } from './source-spans.js';
import { forgetScannedBytes } from './verbatim-match.js';
import { BIT32, BIT64, DELIMITED, VARINT } from './wire-reader.js';
import {
  listPayloadSize,
  MAX_SAFE,
  scalarSize,
  tagSize,
  toBigInt,
  TWO_POW_64,
  unknownSize,
  utf8Size,
  varintSize,
  type AnyMessage,
} from './proto-wire-sizes.js';

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

// proto2 presence, from google.protobuf.FeatureSet.FieldPresence.
const IMPLICIT = 2;
/** Byte fields at least this long are handed to the sink by reference. */
const LARGE_BYTES = 64 * 1024;
const STAGING_BYTES = 1 << 20;
/** The staging buffer of the last full-size write, for the next one (see write()). */
let spareStaging: Buffer<ArrayBuffer> | undefined;
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
  /** A hand-written encoder for the child message type, where there is one (hot-encoders.ts). */
  readonly codec: MessageCodec | undefined;
  /** A graph's node or initializer list: unchanged items are copied from the decoded bytes (source-spans.ts). */
  readonly fromSource: boolean;
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
    wire: message ? DELIMITED : wireTypeOf(scalar),
    packed: isList && !message && field.packed,
    codec: message ? codecFor(message.typeName) : undefined,
    fromSource:
      desc.typeName === GraphProtoSchema.typeName && isList && (field.number === 1 || field.number === 5),
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

function planByNumber(desc: DescMessage, fieldNo: number): FieldPlan {
  let byNumber = planNumberCache.get(desc);
  if (!byNumber) {
    byNumber = [];
    for (const plan of fieldPlans(desc)) byNumber[plan.number] = plan;
    planNumberCache.set(desc, byNumber);
  }
  const plan = byNumber[fieldNo];
  if (!plan) throw new Error(`internal: ${desc.typeName} has no field ${fieldNo}`);
  return plan;
}
const planNumberCache = new WeakMap<DescMessage, FieldPlan[]>();

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
      return DELIMITED;
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

/** Serializes a message tree in two passes: sizes, then bytes. */
export class StreamingProtoWriter implements CodecWriter {
  /**
   * Sizes of every message of the last measured tree, in the (pre-)order write() visits them: a typed
   * array (no GC scanning, one growth per doubling) holding `count` of them.
   */
  private sizes = new Float64Array(256);
  /** Per size slot: where the message's payload starts in its source bytes when it is copied from them, else -1. */
  private copiedFrom = new Float64Array(256);
  private count = 0;
  /** The source bytes of the graph lists measured with copies, by list, kept until written. */
  private readonly sources = new Map<unknown[], VerbatimSource>();
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
    this.count = 0;
    this.measuredRoot = root;
    try {
      return this.sizeOf(desc, root);
    } finally {
      forgetScannedBytes();
    }
  }

  /** Writes `message` (measured first if needed) and flushes. */
  write(desc: DescMessage, message: Message): void {
    const resolved = this.resolve(desc, message);
    const size = this.measure(desc, message);
    // No single ensure(n) asks for more than max(size, 10) bytes (a varint reserves 10), so size + 16
    // always suffices; STAGING_BYTES caps it for large models, whose big bytes fields bypass staging.
    const capacity = Math.min(STAGING_BYTES, size + 16);
    if (this.staging.byteLength < capacity) {
      // A large model reuses the staging buffer of the last large save: a fresh 1 MiB buffer per save is
      // memory the OS must map in again, and external memory that hastens garbage collections.
      const spare = spareStaging;
      spareStaging = undefined;
      this.staging = spare && spare.byteLength >= capacity ? spare : Buffer.allocUnsafe(capacity);
      this.view = new DataView(this.staging.buffer, this.staging.byteOffset, this.staging.byteLength);
    }
    this.cursor = 1;
    try {
      this.writeMessage(desc, resolved as AnyMessage);
      this.flush();
    } finally {
      // Written synchronously, and chunks handed to sinks that keep them are copies (flush), so no
      // one holds the staging bytes now.
      if (this.staging.byteLength === STAGING_BYTES) spareStaging = this.staging;
    }
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
    const slot = this.reserveSize();
    const msg = message as AnyMessage;
    let size = 0;
    for (const plan of fieldPlans(desc)) size += this.sizeField(plan, msg);
    size += unknownSize(msg);
    this.sizes[slot] = size;
    return size;
  }

  // The methods below up to ensure() are for hot-encoders.ts: its encoders size and write the common
  // fields of the hottest message types themselves and hand the others back here.

  /** Reserves the next slot of the size list (pre-order, the order writeChild reads them back). */
  reserveSize(): number {
    if (this.count === this.sizes.length) {
      const larger = new Float64Array(this.sizes.length * 2);
      larger.set(this.sizes);
      this.sizes = larger;
      const copied = new Float64Array(larger.length);
      copied.set(this.copiedFrom);
      this.copiedFrom = copied;
    }
    this.copiedFrom[this.count] = -1;
    return this.count++;
  }

  setSize(slot: number, size: number): void {
    this.sizes[slot] = size;
  }

  /** Bytes of a child message field with its tag and length (measuring the child). */
  sizeOfChild(tagBytes: number, desc: DescMessage, codec: MessageCodec | undefined, item: Message): number {
    const child = this.resolve(desc, item);
    const n = codec ? codec.size(this, child as AnyMessage) : this.sizeOf(desc, child);
    return tagBytes + varintSize(n) + n;
  }

  /** Bytes of one field of `msg` (0 when it is not set), measuring child messages. */
  private sizeField(plan: FieldPlan, msg: AnyMessage): number {
    const tag = plan.tagSize;
    if (plan.kind === MESSAGE_LIST) {
      const items = msg[plan.localName] as Message[];
      const source = plan.fromSource ? verbatimSource(msg as unknown as GraphProto, plan.number) : undefined;
      return source ? this.sizeListFromSource(plan, items, source) : this.sizeListEncoded(plan, items);
    }
    if (plan.kind === SCALAR_LIST) {
      const items = msg[plan.localName] as unknown[];
      if (items.length === 0) return 0;
      const payload = listPayloadSize(plan.scalar, items);
      return plan.packed ? tag + varintSize(payload) + payload : items.length * tag + payload;
    }
    const value = singularValue(plan.field, msg);
    if (value === undefined) return 0;
    if (plan.kind === SINGULAR_MESSAGE)
      return this.sizeOfChild(tag, plan.message!, plan.codec, value as Message);
    return tag + scalarSize(plan.scalar, value);
  }

  /**
   * Sizes a graph's node or initializer list whose items may be copied from the bytes they were decoded
   * from: an item that still matches its record takes one size slot, marked with where its payload is;
   * the others are measured as usual.
   */
  private sizeListFromSource(plan: FieldPlan, items: Message[], source: VerbatimSource): number {
    // The same list array in two graphs decoded from different bytes: the first keeps its copies, the
    // second is encoded (the write pass finds a list's source by the array).
    const earlier = this.sources.get(items);
    if (earlier && earlier.bytes.buffer !== source.bytes.buffer) return this.sizeListEncoded(plan, items);
    this.sources.set(items, source);
    let size = 0;
    for (let i = 0; i < items.length; i++) {
      const child = this.resolve(plan.message!, items[i]!);
      const record =
        plan.number === 1 && !this.keepsAttributeTensors(child as unknown as NodeProto)
          ? -1
          : source.find(child as unknown as NodeProto | TensorProto, i);
      if (record < 0) {
        size += this.sizeOfChild(plan.tagSize, plan.message!, plan.codec, items[i]!);
        continue;
      }
      const start = source.payloadStart(record);
      const n = source.payloadEnd(record) - start;
      const slot = this.reserveSize();
      this.sizes[slot] = n;
      this.copiedFrom[slot] = start;
      size += plan.tagSize + varintSize(n) + n;
    }
    return size;
  }

  private sizeListEncoded(plan: FieldPlan, items: Message[]): number {
    let size = 0;
    for (const item of items) size += this.sizeOfChild(plan.tagSize, plan.message!, plan.codec, item);
    return size;
  }

  /**
   * Whether the substitute leaves every tensor of the node's attributes as it is (a Constant's value moved
   * to external data must not be copied inline from the source).
   */
  private keepsAttributeTensors(node: NodeProto): boolean {
    if (!this.substitute) return true;
    for (const a of node.attribute) if (a.t && this.resolve(TensorProtoSchema, a.t) !== a.t) return false;
    return true;
  }

  /**
   * Writes a list sized by sizeListFromSource: the items measured as copies go out as the bytes of their
   * records, a run of records that lie back to back in the source as one chunk (by reference when large).
   */
  private writeListFromSource(plan: FieldPlan, items: Message[], source: VerbatimSource): void {
    let i = 0;
    while (i < items.length) {
      if (this.cursor >= this.count) throw new Error('internal: message written before it was measured');
      if (this.copiedFrom[this.cursor]! < 0) {
        this.writeChild(plan.number, plan.message!, items[i]!, plan.codec);
        i++;
        continue;
      }
      const first = this.copiedFrom[this.cursor]!;
      const runStart = first - plan.tagSize - varintSize(this.sizes[this.cursor]!);
      let runEnd = first + this.sizes[this.cursor]!;
      this.cursor++;
      i++;
      while (i < items.length && this.cursor < this.count) {
        const start = this.copiedFrom[this.cursor]!;
        const n = this.sizes[this.cursor]!;
        if (start < 0 || start - plan.tagSize - varintSize(n) !== runEnd) break;
        runEnd = start + n;
        this.cursor++;
        i++;
      }
      this.bytesRaw(source.bytes.subarray(runStart, runEnd));
    }
  }

  /** sizeField for the field of that number (fields the hot encoders leave to the generic code). */
  sizeFieldNumber(desc: DescMessage, fieldNo: number, msg: AnyMessage): number {
    return this.sizeField(planByNumber(desc, fieldNo), msg);
  }

  writeFieldNumber(desc: DescMessage, fieldNo: number, msg: AnyMessage): void {
    this.writeField(planByNumber(desc, fieldNo), msg);
  }

  private writeMessage(desc: DescMessage, msg: AnyMessage): void {
    for (const plan of fieldPlans(desc)) this.writeField(plan, msg);
    this.writeUnknown(msg);
  }

  /** Writes one field of `msg` (nothing when it is not set). */
  private writeField(plan: FieldPlan, msg: AnyMessage): void {
    if (plan.kind === MESSAGE_LIST) {
      const items = msg[plan.localName] as Message[];
      const source = plan.fromSource ? this.sources.get(items) : undefined;
      if (source) this.writeListFromSource(plan, items, source);
      else for (const item of items) this.writeChild(plan.number, plan.message!, item, plan.codec);
    } else if (plan.kind === SCALAR_LIST) {
      const items = msg[plan.localName] as unknown[];
      if (items.length === 0) return;
      const type = plan.scalar;
      if (plan.packed) {
        this.tag(plan.number, DELIMITED);
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
      if (value === undefined) return;
      if (plan.kind === SINGULAR_MESSAGE) {
        this.writeChild(plan.number, plan.message!, value as Message, plan.codec);
      } else {
        this.tag(plan.number, plan.wire);
        this.scalar(plan.scalar, value);
      }
    }
  }

  writeUnknown(msg: AnyMessage): void {
    const unknown = msg.$unknown;
    if (unknown) {
      for (const u of unknown) {
        this.tag(u.no, u.wireType);
        this.bytesRaw(u.data);
      }
    }
  }

  writeChild(fieldNo: number, desc: DescMessage, message: Message, codec?: MessageCodec): void {
    const child = this.resolve(desc, message);
    if (this.cursor >= this.count) throw new Error('internal: message written before it was measured');
    const size = this.sizes[this.cursor++]!;
    this.tag(fieldNo, DELIMITED);
    this.varint(size);
    if (codec) codec.write(this, child as AnyMessage);
    else this.writeMessage(desc, child as AnyMessage);
  }

  /** A one-byte tag (field numbers up to 15), as the hot encoders write most of theirs. */
  byte(value: number): void {
    this.ensure(1);
    this.staging[this.used++] = value;
  }

  /** A string field's length and UTF-8 bytes (short ASCII strings copied here, the rest natively). */
  string(s: string): void {
    const n = utf8Size(s);
    this.varint(n);
    if (n === s.length && n <= 64) {
      this.ensure(n);
      const staging = this.staging;
      let used = this.used;
      for (let i = 0; i < n; i++) staging[used++] = s.charCodeAt(i);
      this.used = used;
    } else if (n <= this.staging.byteLength) {
      this.ensure(n);
      this.used += this.staging.write(s, this.used, 'utf8');
    } else {
      this.bytesRaw(textEncoder.encode(s));
    }
  }

  /** A bytes field's length and bytes (large ones handed to the sink by reference). */
  bytes(b: Uint8Array): void {
    this.varint(b.byteLength);
    this.bytesRaw(b);
  }

  /** A signed 64-bit varint (int64 fields). */
  int64(value: bigint | number | string): void {
    this.scalar(ScalarType.INT64, value);
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

  tag(fieldNo: number, wireType: number): void {
    this.varint(((fieldNo << 3) | wireType) >>> 0);
  }

  varint(value: number): void {
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
      case ScalarType.STRING:
        this.string(value as string);
        return;
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

/**
 * Serializes into memory (an in-memory onnxruntime session, tests): measured first, then written straight
 * into one buffer of that size, so each byte is copied once.
 */
export function serializeToBytes(
  desc: DescMessage,
  message: Message,
  substitute?: MessageSubstitute,
): Uint8Array {
  let out = EMPTY;
  let at = 0;
  const sink: ByteSink = {
    consumesChunks: true,
    write: (chunk) => {
      out.set(chunk, at);
      at += chunk.byteLength;
    },
  };
  const writer = new StreamingProtoWriter(sink, substitute);
  out = Buffer.allocUnsafe(writer.measure(desc, message));
  writer.write(desc, message);
  if (at !== out.byteLength)
    throw new Error(`serialized ${at} bytes into a message measured at ${out.byteLength}`);
  return out;
}
