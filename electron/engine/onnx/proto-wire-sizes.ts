import { ScalarType, type Message } from '@bufbuild/protobuf';

/*
 * Sizes of protobuf wire values, shared by the stream writer (proto-stream-writer.ts) and its hand-written
 * encoders (hot-encoders.ts).
 */

export type AnyMessage = Message &
  Record<string, unknown> & { $unknown?: { no: number; wireType: number; data: Uint8Array }[] };

export const TWO_POW_64 = 1n << 64n;
export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function unknownSize(msg: AnyMessage): number {
  const unknown = msg.$unknown;
  let size = 0;
  if (unknown) for (const u of unknown) size += tagSize(u.no) + u.data.byteLength;
  return size;
}

export function varintSize(value: number): number {
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

export function toBigInt(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as string | number);
}

export function tagSize(fieldNo: number): number {
  return varintSize(fieldNo << 3);
}

/** Bytes per element of the fixed-width scalar types, undefined for varints and strings/bytes. */
export function fixedWidthOf(type: ScalarType): number | undefined {
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
export function listPayloadSize(type: ScalarType, items: unknown[]): number {
  // Fixed-width lists (float_data, double_data: millions of elements in some models) need no loop.
  const width = fixedWidthOf(type);
  if (width !== undefined) return items.length * width;
  let payload = 0;
  for (const item of items) payload += scalarSize(type, item);
  return payload;
}

export function scalarSize(type: ScalarType, value: unknown): number {
  switch (type) {
    case ScalarType.STRING: {
      const n = utf8Size(value as string);
      return varintSize(n) + n;
    }
    case ScalarType.BYTES: {
      const n = (value as Uint8Array).byteLength;
      return varintSize(n) + n;
    }
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.BOOL:
      return fixedWidthOf(type)!;
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

/** Bytes of a string in UTF-8 (a JS loop for short ASCII strings, ONNX's usual names). */
export function utf8Size(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}
