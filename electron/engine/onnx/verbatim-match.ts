import type { AttributeProto, NodeProto, TensorProto } from 'onnx-buf';

/*
 * Whether a message still says exactly what the bytes it was decoded from say (source-spans.ts), so that
 * the writer may copy those bytes instead of encoding the message. The comparison runs field by field over
 * the bytes, reading nothing into new objects: every field on the wire must equal the message's value,
 * and every field the writer would write must be on the wire. Anything unusual (a field or wire form not
 * handled here, a number too large to compare cheaply, non-ASCII text, unknown fields) answers false, and
 * the message is simply encoded. A byte field matches only when it is the very view of these bytes that
 * the decoder made, so changes made in place to tensor data are copied along with it.
 */

const hasOwn = Object.hasOwn;
const TWO_POW_32 = 2 ** 32;

/** A forward-only reader over one message's payload. `pos` is NaN once something could not be read. */
class Scan {
  pos = 0;
  end = 0;
  bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  reset(bytes: Uint8Array, start: number, end: number): this {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.pos = start;
    this.end = end;
    return this;
  }

  /** A varint of at most 5 bytes below 2^31 (lengths, field values in practice), or -1. */
  small(): number {
    const b = this.bytes;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = b[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value < 2 ** 31 ? value : -1;
    }
    return -1;
  }

  /** A 64-bit varint as a two's-complement signed number, or NaN when it is not a safe integer. */
  signed64(): number {
    const b = this.bytes;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (;;) {
      if (i >= 10 || this.pos >= this.end) return NaN;
      const byte = b[this.pos++]!;
      const bits = byte & 0x7f;
      const shift = 7 * i;
      if (shift < 28) lo += bits * 2 ** shift;
      else if (shift === 28) {
        lo += (bits & 0x0f) * 2 ** 28;
        hi += bits >> 4;
      } else hi += bits * 2 ** (shift - 32);
      i++;
      if (byte < 0x80) break;
    }
    hi %= TWO_POW_32;
    if (hi >= 2 ** 31) {
      // Negative: -(2^64 - value), exact while the magnitude is below 2^53.
      const magHi = TWO_POW_32 - 1 - hi;
      const magLo = TWO_POW_32 - lo;
      const magnitude = magHi * TWO_POW_32 + magLo;
      return magnitude <= Number.MAX_SAFE_INTEGER ? -magnitude : NaN;
    }
    const value = hi * TWO_POW_32 + lo;
    return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
  }

  float32(): number {
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** The length prefix of a delimited field; where its payload ends, or -1 past the message's end. */
  delimitedEnd(): number {
    const n = this.small();
    if (n < 0 || this.pos + n > this.end) return -1;
    return this.pos + n;
  }

  /** Whether the string field here (length prefix next) holds `s`, all ASCII. Moves past it. */
  string(s: string): boolean {
    const end = this.delimitedEnd();
    if (end < 0 || end - this.pos !== s.length) return false;
    const b = this.bytes;
    for (let i = this.pos, j = 0; i < end; i++, j++) {
      const byte = b[i]!;
      if (byte >= 0x80 || byte !== s.charCodeAt(j)) return false;
    }
    this.pos = end;
    return true;
  }

  /** Whether the bytes field here is `view` itself: the decoder's view of exactly these bytes. */
  sameView(view: Uint8Array): boolean {
    const end = this.delimitedEnd();
    if (end < 0) return false;
    const b = this.bytes;
    const same =
      view.buffer === b.buffer &&
      view.byteOffset === b.byteOffset + this.pos &&
      view.byteLength === end - this.pos;
    this.pos = end;
    return same;
  }
}

// One scan per nesting level that can be active at once (node, attribute, attribute's tensor).
const nodeScan = new Scan();
const attributeScan = new Scan();
const tensorScan = new Scan();

const NO_BYTES = new Uint8Array(0);

/** Lets go of the bytes the scans last read (the writer calls it after measuring): they may be a whole model file. */
export function forgetScannedBytes(): void {
  for (const scan of [nodeScan, attributeScan, tensorScan]) scan.reset(NO_BYTES, 0, 0);
}

/**
 * Whether the writer writes this string field (proto2 presence: set, or not at its default). A field on
 * the wire must be written, and one the writer writes must be on the wire.
 */
const isSet = (m: object, value: string, key: string) => value !== '' || hasOwn(m, key);

function noUnknown(m: { $unknown?: unknown[] }): boolean {
  return m.$unknown === undefined || m.$unknown.length === 0;
}

/** Whether `t` encodes to the TensorProto payload bytes[start, end) (see the file comment). */
export function tensorMatches(t: TensorProto, bytes: Uint8Array, start: number, end: number): boolean {
  return tensorAt(t, tensorScan.reset(bytes, start, end));
}

function tensorAt(t: TensorProto, r: Scan): boolean {
  if (
    t.segment !== undefined ||
    t.floatData.length !== 0 ||
    t.int32Data.length !== 0 ||
    t.stringData.length !== 0 ||
    t.int64Data.length !== 0 ||
    t.externalData.length !== 0 ||
    t.doubleData.length !== 0 ||
    t.uint64Data.length !== 0 ||
    t.metadataProps.length !== 0 ||
    hasOwn(t, 'dataLocation') ||
    !noUnknown(t)
  )
    return false;
  const dims = t.dims;
  let dim = 0;
  let sawType = false;
  let sawName = false;
  let sawRaw = false;
  let sawDoc = false;
  const b = r.bytes;
  while (r.pos < r.end) {
    switch (b[r.pos++]) {
      case 0x08: {
        const value = r.signed64();
        if (dim >= dims.length || Number(dims[dim]) !== value) return false;
        dim++;
        break;
      }
      case 0x10: {
        const value = r.small();
        if (value < 0 || value !== t.dataType || (value === 0 && !hasOwn(t, 'dataType'))) return false;
        sawType = true;
        break;
      }
      case 0x42:
        if (!isSet(t, t.name, 'name') || !r.string(t.name)) return false;
        sawName = true;
        break;
      case 0x4a:
        if (!hasOwn(t, 'rawData') || !r.sameView(t.rawData)) return false;
        sawRaw = true;
        break;
      case 0x62:
        if (!isSet(t, t.docString, 'docString') || !r.string(t.docString)) return false;
        sawDoc = true;
        break;
      default:
        return false;
    }
  }
  return (
    r.pos === r.end &&
    dim === dims.length &&
    (sawType || !(t.dataType !== 0 || hasOwn(t, 'dataType'))) &&
    (sawName || !isSet(t, t.name, 'name')) &&
    (sawRaw || !(t.rawData.byteLength !== 0 || hasOwn(t, 'rawData'))) &&
    (sawDoc || !isSet(t, t.docString, 'docString'))
  );
}

/** Whether `n` encodes to the NodeProto payload bytes[start, end) (see the file comment). */
export function nodeMatches(n: NodeProto, bytes: Uint8Array, start: number, end: number): boolean {
  if (n.metadataProps.length !== 0 || n.deviceConfigurations.length !== 0 || !noUnknown(n)) return false;
  const r = nodeScan.reset(bytes, start, end);
  const { input, output, attribute } = n;
  let inputs = 0;
  let outputs = 0;
  let attributes = 0;
  let sawName = false;
  let sawOp = false;
  let sawDoc = false;
  let sawDomain = false;
  let sawOverload = false;
  const b = r.bytes;
  while (r.pos < r.end) {
    switch (b[r.pos++]) {
      case 0x0a:
        if (inputs >= input.length || !r.string(input[inputs++]!)) return false;
        break;
      case 0x12:
        if (outputs >= output.length || !r.string(output[outputs++]!)) return false;
        break;
      case 0x1a:
        if (!isSet(n, n.name, 'name') || !r.string(n.name)) return false;
        sawName = true;
        break;
      case 0x22:
        if (!isSet(n, n.opType, 'opType') || !r.string(n.opType)) return false;
        sawOp = true;
        break;
      case 0x2a: {
        const attrEnd = r.delimitedEnd();
        if (attrEnd < 0 || attributes >= attribute.length) return false;
        if (!attributeAt(attribute[attributes++]!, attributeScan.reset(b, r.pos, attrEnd))) return false;
        r.pos = attrEnd;
        break;
      }
      case 0x32:
        if (!isSet(n, n.docString, 'docString') || !r.string(n.docString)) return false;
        sawDoc = true;
        break;
      case 0x3a:
        if (!isSet(n, n.domain, 'domain') || !r.string(n.domain)) return false;
        sawDomain = true;
        break;
      case 0x42:
        if (!isSet(n, n.overload, 'overload') || !r.string(n.overload)) return false;
        sawOverload = true;
        break;
      default:
        return false;
    }
  }
  return (
    r.pos === r.end &&
    inputs === input.length &&
    outputs === output.length &&
    attributes === attribute.length &&
    (sawName || !isSet(n, n.name, 'name')) &&
    (sawOp || !isSet(n, n.opType, 'opType')) &&
    (sawDoc || !isSet(n, n.docString, 'docString')) &&
    (sawDomain || !isSet(n, n.domain, 'domain')) &&
    (sawOverload || !isSet(n, n.overload, 'overload'))
  );
}

/**
 * An attribute of the common kinds: name, type, f, i, s, t, floats, ints, doc string. Subgraphs, lists of
 * strings, tensors or graphs, sparse tensors, type protos and reference attributes answer false.
 */
function attributeAt(a: AttributeProto, r: Scan): boolean {
  if (
    a.g !== undefined ||
    a.sparseTensor !== undefined ||
    a.tp !== undefined ||
    a.strings.length !== 0 ||
    a.tensors.length !== 0 ||
    a.graphs.length !== 0 ||
    a.sparseTensors.length !== 0 ||
    a.typeProtos.length !== 0 ||
    hasOwn(a, 'refAttrName') ||
    !noUnknown(a)
  )
    return false;
  const { floats, ints } = a;
  let nFloats = 0;
  let nInts = 0;
  let sawName = false;
  let sawType = false;
  let sawF = false;
  let sawI = false;
  let sawS = false;
  let sawT = false;
  let sawDoc = false;
  const b = r.bytes;
  while (r.pos < r.end) {
    switch (b[r.pos++]) {
      case 0x0a:
        if (!isSet(a, a.name, 'name') || !r.string(a.name)) return false;
        sawName = true;
        break;
      case 0x15: {
        if (r.pos + 4 > r.end || !hasOwn(a, 'f') || !Object.is(r.float32(), a.f)) return false;
        sawF = true;
        break;
      }
      case 0x18: {
        if (!hasOwn(a, 'i') || Number(a.i) !== r.signed64()) return false;
        sawI = true;
        break;
      }
      case 0x22:
        if (!hasOwn(a, 's') || !r.sameView(a.s)) return false;
        sawS = true;
        break;
      case 0x2a: {
        const tensorEnd = r.delimitedEnd();
        if (tensorEnd < 0 || a.t === undefined || !tensorAt(a.t, tensorScan.reset(b, r.pos, tensorEnd)))
          return false;
        r.pos = tensorEnd;
        sawT = true;
        break;
      }
      case 0x3d:
        if (r.pos + 4 > r.end || nFloats >= floats.length || !Object.is(r.float32(), floats[nFloats++]))
          return false;
        break;
      case 0x40:
        if (nInts >= ints.length || Number(ints[nInts++]) !== r.signed64()) return false;
        break;
      case 0x42: {
        const listEnd = r.delimitedEnd();
        if (listEnd < 0) return false;
        while (r.pos < listEnd)
          if (nInts >= ints.length || Number(ints[nInts++]) !== r.signed64()) return false;
        if (r.pos !== listEnd) return false;
        break;
      }
      case 0x6a:
        if (!isSet(a, a.docString, 'docString') || !r.string(a.docString)) return false;
        sawDoc = true;
        break;
      case 0xa0: {
        // field 20 (type), a two-byte tag
        if (b[r.pos++] !== 0x01) return false;
        const value = r.small();
        if (value < 0 || value !== a.type || (value === 0 && !hasOwn(a, 'type'))) return false;
        sawType = true;
        break;
      }
      default:
        return false;
    }
  }
  return (
    r.pos === r.end &&
    nFloats === floats.length &&
    nInts === ints.length &&
    (sawName || !isSet(a, a.name, 'name')) &&
    (sawType || !(a.type !== 0 || hasOwn(a, 'type'))) &&
    (sawF || !(a.f !== 0 || hasOwn(a, 'f'))) &&
    (sawI || !hasOwn(a, 'i')) &&
    (sawS || !hasOwn(a, 's')) &&
    (sawT || a.t === undefined) &&
    (sawDoc || !isSet(a, a.docString, 'docString'))
  );
}
