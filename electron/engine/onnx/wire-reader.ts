/**
 * A protobuf wire-format reader for the hand-specialised ONNX decoder (fast-decode.ts). It reads values
 * exactly as protobuf-es's BinaryReader does (same numbers, bigints, strings, byte views), without its
 * per-tag array allocation, and throws a plain Error on truncated or malformed input.
 */

import { WireType } from '@bufbuild/protobuf/wire';

/** Wire types (protobuf-es's WireType) as plain constants for the decoders' and writer's switch statements. */
export const VARINT = WireType.Varint;
export const BIT64 = WireType.Bit64;
export const DELIMITED = WireType.LengthDelimited;
export const BIT32 = WireType.Bit32;
/** A field's tag: its number and wire type, as they appear on the wire. */
export const tag = (field: number, wire: number): number => (field << 3) | wire;

// What protobuf-es uses for non-ASCII strings (proto2 strings are not validated: bad bytes become U+FFFD).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const fromCharCode = String.fromCharCode;

/** ASCII strings up to this many bytes are looked up in (and added to) a table of recent strings. */
const INTERNED_MAX = 32;
const INTERNED_MASK = (1 << 16) - 1;
/** Direct-mapped by a hash of the bytes; a collision just replaces the entry. */
const interned: (string | undefined)[] = new Array<string | undefined>(INTERNED_MASK + 1).fill(undefined);

/** Forgets the strings of the last decode, so that the table keeps no model's names alive. */
export function forgetInternedStrings(): void {
  interned.fill(undefined);
}

function shortAscii(buf: Uint8Array, start: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return fromCharCode(buf[start]!);
    case 2:
      return fromCharCode(buf[start]!, buf[start + 1]!);
    case 3:
      return fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!);
    default:
      return fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!);
  }
}

/**
 * Small int64 values (dims, attribute ints) as one bigint each: a bigint is an immutable value, so sharing
 * it changes nothing but the objects a decoded model holds (20,000 dims of 256 are one object, not 20,000).
 */
const SHARED_BIGINTS = 4096;
const sharedBigInts = new Array<bigint | undefined>(SHARED_BIGINTS).fill(undefined);

/** `list` followed by the first `n` items of `scratch`, as a new array of exactly that size. */
function joined<T>(list: T[], scratch: T[], n: number): T[] {
  const out = scratch.slice(0, n);
  return list.length === 0 ? out : list.concat(out);
}

export class WireReader {
  pos = 0;
  readonly len: number;
  /** The same bytes as a Buffer, for its native latin1 slicing of ASCII strings. */
  private readonly text: Buffer & { latin1Slice(start: number, end: number): string };
  private readonly view: DataView;
  // Reused for every run (see stringRun); stale entries past a run's end are never read.
  private readonly strings: string[] = [];
  private readonly int64s: bigint[] = [];

  /** `buf` is what bytes fields are views of (a Buffer stays a Buffer, as with protobuf-es). */
  constructor(readonly buf: Uint8Array) {
    this.len = buf.length;
    // latin1Slice is Buffer's undocumented native method behind toString('latin1'), without its checks.
    this.text = (
      Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    ) as WireReader['text'];
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private checkBounds(): void {
    if (this.pos > this.len) throw new RangeError('premature EOF');
  }

  /** A tag as one number (field number << 3 | wire type), validated like protobuf-es validates it. */
  tag(): number {
    const start = this.pos;
    const tag = this.uint32();
    const read = this.pos - start;
    if (read > 5 || (read === 5 && this.buf[this.pos - 1]! > 0x0f))
      throw new Error('illegal tag: varint overflows uint32');
    if (tag >>> 3 === 0 || (tag & 7) > 5)
      throw new Error(`illegal tag: field no ${tag >>> 3} wire type ${tag & 7}`);
    return tag;
  }

  /** An unsigned 32-bit varint: the low 32 bits of up to 10 bytes (protobuf-es's varint32read). */
  uint32(): number {
    const buf = this.buf;
    let b = buf[this.pos++]!;
    if (b < 0x80) {
      if (this.pos > this.len) throw new RangeError('premature EOF');
      return b;
    }
    let result = b & 0x7f;
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 7;
    if (b < 0x80) return this.checked(result);
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 14;
    if (b < 0x80) return this.checked(result);
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 21;
    if (b < 0x80) return this.checked(result);
    b = buf[this.pos++]!;
    result |= (b & 0x0f) << 28;
    for (let read = 5; (b & 0x80) !== 0 && read < 10; read++) b = buf[this.pos++]!;
    if ((b & 0x80) !== 0) throw new Error('invalid varint');
    return this.checked(result >>> 0);
  }

  private checked(value: number): number {
    this.checkBounds();
    return value;
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** A signed 64-bit varint as a bigint (protobuf-es's int64). */
  int64(): bigint {
    const small = this.smallVarint();
    if (small < 0) return BigInt.asIntN(64, this.varint64());
    return small < SHARED_BIGINTS ? (sharedBigInts[small] ??= BigInt(small)) : BigInt(small);
  }

  /** An unsigned 64-bit varint as a bigint (protobuf-es's uint64). */
  uint64(): bigint {
    const small = this.smallVarint();
    return small >= 0 ? BigInt(small) : this.varint64();
  }

  /**
   * A varint of at most 7 bytes (below 2^49) as a number; -1, with the position unchanged, for longer
   * ones (large or negative int64s), which varint64() then reads.
   */
  private smallVarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        this.checkBounds();
        return value;
      }
      scale *= 128;
    }
    return -1;
  }

  /** Any varint of up to 10 bytes as an unsigned 64-bit bigint. */
  private varint64(): bigint {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let pos = this.pos;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.joined(pos, lo, hi);
    }
    const middle = buf[pos++]!;
    lo |= (middle & 0x0f) << 28;
    hi = (middle & 0x70) >> 4;
    if (middle < 0x80) return this.joined(pos, lo, hi);
    for (let shift = 3; shift <= 31; shift += 7) {
      const b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) return this.joined(pos, lo, hi);
    }
    throw new Error('invalid varint');
  }

  private joined(pos: number, lo: number, hi: number): bigint {
    this.pos = pos;
    this.checkBounds();
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  float(): number {
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  double(): number {
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** A length prefix, checked against the end of the data. Returns where the payload ends. */
  delimitedEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.len) throw new RangeError('premature EOF');
    return end;
  }

  /** A bytes field: a view of the input, never a copy (tensor data stays where the file was read). */
  bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  string(): string {
    const end = this.delimitedEnd();
    const start = this.pos;
    this.pos = end;
    const buf = this.buf;
    const n = end - start;
    if (n > INTERNED_MAX) {
      let any = 0;
      for (let i = start; i < end; i++) any |= buf[i]!;
      return any >= 0x80 ? utf8.decode(buf.subarray(start, end)) : this.text.latin1Slice(start, end);
    }
    let any = 0;
    let hash = n;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      any |= b;
      hash = (Math.imul(hash, 31) + b) | 0;
    }
    if (any >= 0x80) return utf8.decode(buf.subarray(start, end));
    // Short ASCII names recur (a value is the output of one node and the input of the next, op types
    // repeat): handing back the string made last time saves memory that the GC would copy, and the hash
    // the in-order check computes once per string object.
    const slot = (hash ^ (hash >>> 16)) & INTERNED_MASK;
    const cached = interned[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (cached.charCodeAt(i) !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const made = n <= 4 ? shortAscii(buf, start, n) : this.text.latin1Slice(start, end);
    interned[slot] = made;
    return made;
  }

  /*
   * Repeated fields, read a run at a time: the value just tagged and the records of the same one-byte tag
   * that directly follow (how writers lay out a repeated field), or a packed run. The list comes back
   * grown once to its exact size: push() would leave room for 16 more items in every node's input and
   * output lists and every tensor's dims, memory the garbage collector copies as long as the model lives.
   */

  stringRun(list: string[], tagByte: number, end: number): string[] {
    const scratch = this.strings;
    let n = 0;
    scratch[n++] = this.string();
    while (this.pos < end && this.buf[this.pos] === tagByte) {
      this.pos++;
      scratch[n++] = this.string();
    }
    return joined(list, scratch, n);
  }

  int64Run(list: bigint[], tagByte: number, end: number): bigint[] {
    const scratch = this.int64s;
    let n = 0;
    scratch[n++] = this.int64();
    while (this.pos < end && this.buf[this.pos] === tagByte) {
      this.pos++;
      scratch[n++] = this.int64();
    }
    return joined(list, scratch, n);
  }

  /** A packed int64 list (its length prefix not yet read). */
  packedInt64s(list: bigint[]): bigint[] {
    const end = this.delimitedEnd();
    const scratch = this.int64s;
    let n = 0;
    while (this.pos < end) scratch[n++] = this.int64();
    if (this.pos !== end) throw new Error('a packed list runs past its length');
    return joined(list, scratch, n);
  }

  /** Skips the value of a field, as protobuf-es does for unknown fields (groups included). */
  skip(tag: number, recursionLimit: number): void {
    switch (tag & 7) {
      case VARINT:
        while (this.buf[this.pos++]! & 0x80) {
          // continuation bytes
        }
        break;
      case BIT64:
        this.pos += 8;
        break;
      case BIT32:
        this.pos += 4;
        break;
      case DELIMITED:
        this.pos = this.delimitedEnd();
        break;
      case WireType.StartGroup: {
        if (recursionLimit <= 0) throw new Error('maximum recursion depth reached');
        for (;;) {
          const inner = this.tag();
          if ((inner & 7) === WireType.EndGroup) {
            if (inner >>> 3 !== tag >>> 3) throw new Error('invalid end group tag');
            break;
          }
          this.skip(inner, recursionLimit - 1);
        }
        break;
      }
      default:
        throw new Error(`cant skip wire type ${tag & 7}`);
    }
    this.checkBounds();
  }
}

/** Where the varint at `p` ends, or -1 when it does not end before `limit` (or is over 10 bytes long). */
function varintEnd(buf: Uint8Array, p: number, limit: number): number {
  const last = Math.min(limit, p + 10);
  for (let i = p; i < last; i++) if (buf[i]! < 0x80) return i + 1;
  return -1;
}

/**
 * Where the field (tag and value) at `p` ends, judging only from bytes before `limit`; -1 when that cannot
 * be told yet: its tag or length is not all there, or it is a group or an invalid wire type (those wait
 * for the whole input, where the decoder reads or refuses them as usual). For progressive decoding: a
 * field is only read once it lies wholly before the bytes still to arrive.
 */
export function fieldEnd(buf: Uint8Array, p: number, limit: number): number {
  const afterTag = varintEnd(buf, p, limit);
  if (afterTag < 0) return -1;
  switch (buf[p]! & 7) {
    case VARINT:
      return varintEnd(buf, afterTag, limit);
    case BIT64:
      return afterTag + 8;
    case BIT32:
      return afterTag + 4;
    case DELIMITED: {
      // A length of up to 5 bytes whose value fits 32 bits reads the same here as in uint32().
      const afterLength = varintEnd(buf, afterTag, Math.min(limit, afterTag + 5));
      if (afterLength < 0 || (afterLength - afterTag === 5 && buf[afterLength - 1]! > 0x0f)) return -1;
      let length = 0;
      for (let i = afterLength - 1; i >= afterTag; i--) length = length * 128 + (buf[i]! & 0x7f);
      return afterLength + length;
    }
    default:
      return -1;
  }
}

/** Whether the field at `p` lies wholly before `limit`. */
export function fieldWithin(buf: Uint8Array, p: number, limit: number): boolean {
  const end = fieldEnd(buf, p, limit);
  return end >= 0 && end <= limit;
}
