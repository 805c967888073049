/*
 * WebAssembly SIMD (128-bit) kernels for the weight quantizers' two hot passes: per-channel ranges and
 * quantize-and-store. Four float32 lanes per instruction, where the scalar JS loops manage about one
 * element per few nanoseconds. The module is assembled here from opcodes (no toolchain, no binary
 * blob), validated, and instantiated once; callers fall back to the JS loops when WebAssembly SIMD is
 * missing or a shape does not fit (channels not a multiple of 16, tiny tensors).
 *
 * Arithmetic is float32 (as numpy and onnxruntime's quantizers do): int8 uses x * (1 / scale) rounded
 * half to even (f32x4.nearest), int4 floor(x * (1 / scale) + zero_point + 0.5). Against the float64 JS
 * loops this can differ only for values within ~1e-7 of a rounding tie.
 *
 * Exported functions (all pointers are byte offsets into the module's memory; counts in elements):
 *   absmax_cols(src, rows, cols, acc)              acc[c] = max(acc[c], |x[r, c]|)        cols % 4 == 0
 *   minmax_cols(src, rows, cols, lo, hi)           lo[c] = min(lo[c], x[r, c]), hi max     cols % 4 == 0
 *   minmax_run(src, n, out)                        out[0..4) lane minima, out[4..8) maxima n % 16 == 0, n >= 16
 *   quant_cols_i8(src, rows, cols, inv, zp, dst, qmin, qmax)                              cols % 16 == 0
 *       dst[r, c] = clamp(nearest(x[r, c] * inv[c]) + zp[c], qmin, qmax) as int8
 *   quant_run_i8(src, n, inv, zp, qmin, qmax, dst) the same with one inv / zp              n % 16 == 0
 *   quant_pack4_cols(src, pairs, cols, inv, bias, dst, stride)                            cols % 16 == 0
 *       for rows 2p, 2p+1 of src [2 * pairs, cols]: q = clamp(floor(x * inv[c] + bias[c]), 0, 15),
 *       dst[c * stride + p] = q(2p, c) | q(2p + 1, c) << 4    (MatMulNBits blob bytes of one block)
 */

// ---------------------------------------------------------------------------------------------
// A tiny assembler

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function f32Bytes(value: number): number[] {
  return Array.from(new Uint8Array(Float32Array.of(value).buffer));
}

const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const f32c = (v: number): number[] => [0x43, ...f32Bytes(v)];
const ADD = [0x6a];
const MUL = [0x6c];
const SHL = [0x74];
const LT_U = [0x49];
const GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
const store8 = [0x3a, 0, 0];
const vload = (offset = 0): number[] => [...simd(0x00), 0, ...uleb(offset)];
const vstore = (offset = 0): number[] => [...simd(0x0b), 0, ...uleb(offset)];
const F32X4_SPLAT = simd(0x13);
const F32X4_ABS = simd(0xe0);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const F32X4_MIN = simd(0xe8);
const F32X4_MAX = simd(0xe9);
const F32X4_FLOOR = simd(0x68);
const F32X4_NEAREST = simd(0x6a);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);
const I16X8_NARROW_I32X4_S = simd(0x85);
const I8X16_NARROW_I16X8_S = simd(0x65);
const I8X16_NARROW_I16X8_U = simd(0x66);
const I8X16_SHL = simd(0x6b);
const V128_OR = simd(0x50);
const extractLaneU = (lane: number): number[] => [...simd(0x16), lane];

/** `local += amount` for an i32 local, amount a constant or another local. */
function bump(local: number, amount: number | { local: number }): number[] {
  return [
    ...get(local),
    ...(typeof amount === 'number' ? i32c(amount) : get(amount.local)),
    ...ADD,
    ...set(local),
  ];
}

interface Func {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  code: number[];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function nameBytes(name: string): number[] {
  const b = Array.from(new TextEncoder().encode(name));
  return [...uleb(b.length), ...b];
}

// prettier-ignore
function assemble(funcs: Func[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const imports = [[...nameBytes('env'), ...nameBytes('memory'), 0x02, 0x00, ...uleb(1)]];
  const functions = funcs.map((_, i) => uleb(i));
  const exports = funcs.map((f, i) => [...nameBytes(f.name), 0x00, ...uleb(i)]);
  const bodies = funcs.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.code, ...END];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Kernels (stack code: operands are pushed, then the instruction that consumes them)

/**
 * A sweep over a row-major [rows, cols] float matrix: `p` walks every element 4 at a time, `j` is the
 * byte offset within the row (the column accumulators' offset); `update` runs per 4 columns.
 */
// prettier-ignore
function columnSweep(src: number, rows: number, cols: number, p: number, end: number, j: number, rowB: number, update: number[]): number[] {
  return [
    ...get(src), ...set(p),
    ...get(cols), ...i32c(2), ...SHL, ...set(rowB),
    ...get(src), ...get(rows), ...get(rowB), ...MUL, ...ADD, ...set(end),
    ...BLOCK, ...LOOP,
    ...get(p), ...get(end), ...GE_U, ...brIf(1),
    ...i32c(0), ...set(j),
    ...LOOP,
    ...update,
    ...bump(p, 16), ...bump(j, 16),
    ...get(j), ...get(rowB), ...LT_U, ...brIf(0),
    ...END,
    ...br(0),
    ...END, ...END,
  ];
}

// prettier-ignore
function absmaxCols(): Func {
  // params: src 0, rows 1, cols 2, acc 3; locals: p 4, end 5, j 6, rowB 7
  const update = [
    ...get(3), ...get(6), ...ADD,
    ...get(3), ...get(6), ...ADD, ...vload(),
    ...get(4), ...vload(), ...F32X4_ABS,
    ...F32X4_MAX, ...vstore(),
  ];
  return { name: 'absmax_cols', params: [I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32], code: columnSweep(0, 1, 2, 4, 5, 6, 7, update) };
}

// prettier-ignore
function minmaxCols(): Func {
  // params: src 0, rows 1, cols 2, lo 3, hi 4; locals: p 5, end 6, j 7, rowB 8, v 9
  const update = [
    ...get(5), ...vload(), ...set(9),
    ...get(3), ...get(7), ...ADD,
    ...get(3), ...get(7), ...ADD, ...vload(), ...get(9), ...F32X4_MIN, ...vstore(),
    ...get(4), ...get(7), ...ADD,
    ...get(4), ...get(7), ...ADD, ...vload(), ...get(9), ...F32X4_MAX, ...vstore(),
  ];
  return { name: 'minmax_cols', params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32, V128], code: columnSweep(0, 1, 2, 5, 6, 7, 8, update) };
}

// prettier-ignore
function minmaxRun(): Func {
  // params: src 0, n 1 (a multiple of 16), out 2; locals: p 3, end 4, lo 5-8, hi 9-12
  // Four independent accumulator pairs, so consecutive min / max do not wait on each other.
  const lo = (k: number) => 5 + k;
  const hi = (k: number) => 9 + k;
  const step: number[] = [];
  for (let k = 0; k < 4; k++) {
    step.push(
      ...get(lo(k)), ...get(3), ...vload(16 * k), ...F32X4_MIN, ...set(lo(k)),
      ...get(hi(k)), ...get(3), ...vload(16 * k), ...F32X4_MAX, ...set(hi(k)),
    );
  }
  const init: number[] = [];
  for (let k = 0; k < 4; k++) init.push(...get(0), ...vload(16 * k), ...set(lo(k)), ...get(lo(k)), ...set(hi(k)));
  const code = [
    ...init,
    ...get(0), ...i32c(64), ...ADD, ...set(3),
    ...get(0), ...get(1), ...i32c(2), ...SHL, ...ADD, ...set(4),
    ...BLOCK, ...LOOP,
    ...get(3), ...get(4), ...GE_U, ...brIf(1),
    ...step,
    ...bump(3, 64),
    ...br(0),
    ...END, ...END,
    ...get(2),
    ...get(lo(0)), ...get(lo(1)), ...F32X4_MIN, ...get(lo(2)), ...get(lo(3)), ...F32X4_MIN, ...F32X4_MIN,
    ...vstore(0),
    ...get(2),
    ...get(hi(0)), ...get(hi(1)), ...F32X4_MAX, ...get(hi(2)), ...get(hi(3)), ...F32X4_MAX, ...F32X4_MAX,
    ...vstore(16),
  ];
  return { name: 'minmax_run', params: [I32, I32, I32], results: [], locals: [I32, I32, V128, V128, V128, V128, V128, V128, V128, V128], code };
}

/** One f32x4 group to int8 lanes: clamp(nearest(x * inv) + zp, vmin, vmax) -> i32x4. */
// prettier-ignore
function quantI8Group(x: number[], inv: number[], zp: number[], vmin: number, vmax: number): number[] {
  return [
    ...x, ...inv, ...F32X4_MUL, ...F32X4_NEAREST, ...zp, ...F32X4_ADD,
    ...get(vmax), ...F32X4_MIN, ...get(vmin), ...F32X4_MAX, ...I32X4_TRUNC_SAT_F32X4_S,
  ];
}

// prettier-ignore
function quantColsI8(): Func {
  // params: src 0, rows 1, cols 2, inv 3, zp 4, dst 5, qmin 6 (f32), qmax 7 (f32)
  // locals: p 8, end 9, j 10, rowB 11, d 12, vmin 13, vmax 14
  const group = (o: number) =>
    quantI8Group([...get(8), ...vload(o)], [...get(3), ...get(10), ...ADD, ...vload(o)], [...get(4), ...get(10), ...ADD, ...vload(o)], 13, 14);
  const update = [
    ...get(12),
    ...group(0), ...group(16), ...I16X8_NARROW_I32X4_S,
    ...group(32), ...group(48), ...I16X8_NARROW_I32X4_S,
    ...I8X16_NARROW_I16X8_S,
    ...vstore(),
    ...bump(12, 16),
    ...bump(8, 48), // with columnSweep's +16: 64 bytes of floats per step
    ...bump(10, 48),
  ];
  const code = [
    ...get(6), ...F32X4_SPLAT, ...set(13),
    ...get(7), ...F32X4_SPLAT, ...set(14),
    ...get(5), ...set(12),
    ...columnSweep(0, 1, 2, 8, 9, 10, 11, update),
  ];
  return { name: 'quant_cols_i8', params: [I32, I32, I32, I32, I32, I32, F32, F32], results: [], locals: [I32, I32, I32, I32, I32, V128, V128], code };
}

// prettier-ignore
function quantRunI8(): Func {
  // params: src 0, n 1, inv 2 (f32), zp 3 (f32), qmin 4 (f32), qmax 5 (f32), dst 6
  // locals: p 7, end 8, vinv 9, vzp 10, vmin 11, vmax 12
  const group = (o: number) => quantI8Group([...get(7), ...vload(o)], get(9), get(10), 11, 12);
  const code = [
    ...get(2), ...F32X4_SPLAT, ...set(9),
    ...get(3), ...F32X4_SPLAT, ...set(10),
    ...get(4), ...F32X4_SPLAT, ...set(11),
    ...get(5), ...F32X4_SPLAT, ...set(12),
    ...get(0), ...set(7),
    ...get(0), ...get(1), ...i32c(2), ...SHL, ...ADD, ...set(8),
    ...BLOCK, ...LOOP,
    ...get(7), ...get(8), ...GE_U, ...brIf(1),
    ...get(6),
    ...group(0), ...group(16), ...I16X8_NARROW_I32X4_S,
    ...group(32), ...group(48), ...I16X8_NARROW_I32X4_S,
    ...I8X16_NARROW_I16X8_S,
    ...vstore(),
    ...bump(6, 16),
    ...bump(7, 64),
    ...br(0),
    ...END, ...END,
  ];
  return { name: 'quant_run_i8', params: [I32, I32, F32, F32, F32, F32, I32], results: [], locals: [I32, I32, V128, V128, V128, V128], code };
}

// prettier-ignore
function quantPack4Cols(): Func {
  // params: src 0, pairs 1, cols 2, inv 3, bias 4, dst 5, stride 6
  // locals: pr 7, r0 8, r1 9, rowF 10, j 11, a 12, zero 13, fifteen 14, q0 15, byte 16
  const group = (row: number, o: number) => [
    ...get(row), ...get(11), ...ADD, ...vload(o),
    ...get(3), ...get(11), ...ADD, ...vload(o), ...F32X4_MUL,
    ...get(4), ...get(11), ...ADD, ...vload(o), ...F32X4_ADD,
    ...F32X4_FLOOR,
    ...get(13), ...F32X4_MAX, ...get(14), ...F32X4_MIN,
    ...I32X4_TRUNC_SAT_F32X4_S,
  ];
  const nibbles = (row: number) => [
    ...group(row, 0), ...group(row, 16), ...I16X8_NARROW_I32X4_S,
    ...group(row, 32), ...group(row, 48), ...I16X8_NARROW_I32X4_S,
    ...I8X16_NARROW_I16X8_U,
  ];
  // The 16 columns' bytes go to 16 blobs, `stride` bytes apart.
  const lanes: number[] = [];
  for (let l = 0; l < 16; l++) lanes.push(...get(12), ...get(16), ...extractLaneU(l), ...store8, ...bump(12, { local: 6 }));
  const code = [
    ...f32c(0), ...F32X4_SPLAT, ...set(13),
    ...f32c(15), ...F32X4_SPLAT, ...set(14),
    ...get(2), ...i32c(2), ...SHL, ...set(10),
    ...i32c(0), ...set(7),
    ...BLOCK, ...LOOP,
    ...get(7), ...get(1), ...GE_U, ...brIf(1),
    // r0 = src + 2 * pr * rowF; r1 = r0 + rowF; a = dst + pr
    ...get(0), ...get(7), ...get(10), ...MUL, ...i32c(1), ...SHL, ...ADD, ...set(8),
    ...get(8), ...get(10), ...ADD, ...set(9),
    ...get(5), ...get(7), ...ADD, ...set(12),
    ...i32c(0), ...set(11),
    ...LOOP,
    ...nibbles(8), ...set(15),
    ...get(15), ...nibbles(9), ...i32c(4), ...I8X16_SHL, ...V128_OR, ...set(16),
    ...lanes,
    ...bump(11, 64),
    ...get(11), ...get(10), ...LT_U, ...brIf(0),
    ...END,
    ...bump(7, 1),
    ...br(0),
    ...END, ...END,
  ];
  return {
    name: 'quant_pack4_cols',
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, V128, V128, V128, V128],
    code,
  };
}

// ---------------------------------------------------------------------------------------------
// Runtime

export interface SimdExports {
  absmax_cols(src: number, rows: number, cols: number, acc: number): void;
  minmax_cols(src: number, rows: number, cols: number, lo: number, hi: number): void;
  minmax_run(src: number, n: number, out: number): void;
  quant_cols_i8(
    src: number,
    rows: number,
    cols: number,
    inv: number,
    zp: number,
    dst: number,
    qmin: number,
    qmax: number,
  ): void;
  quant_run_i8(
    src: number,
    n: number,
    inv: number,
    zp: number,
    qmin: number,
    qmax: number,
    dst: number,
  ): void;
  quant_pack4_cols(
    src: number,
    pairs: number,
    cols: number,
    inv: number,
    bias: number,
    dst: number,
    stride: number,
  ): void;
}

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = assemble([
      absmaxCols(),
      minmaxCols(),
      minmaxRun(),
      quantColsI8(),
      quantRunI8(),
      quantPack4Cols(),
    ]);
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether WebAssembly SIMD kernels can run here. */
export function simdAvailable(): boolean {
  return module() !== null;
}

/** Memory kept between calls up to this size; bigger workspaces are dropped after use. */
const KEEP_BYTES = 128 << 20;
let cached: { memory: WebAssembly.Memory; exports: SimdExports } | undefined;

/**
 * A workspace of at least `bytes` bytes with the kernels bound to it, or undefined without SIMD.
 * Allocate with `alloc` before creating views (growing detaches earlier views).
 */
export class SimdWorkspace {
  readonly exports: SimdExports;
  readonly memory: WebAssembly.Memory;
  #top = 0;

  private constructor(memory: WebAssembly.Memory, exports: SimdExports) {
    this.memory = memory;
    this.exports = exports;
  }

  static open(bytes: number): SimdWorkspace | undefined {
    const mod = module();
    if (!mod) return undefined;
    const pages = Math.ceil((bytes + 1024) / 65536);
    if (pages > 65536) return undefined;
    let entry = cached;
    if (!entry || entry.memory.buffer.byteLength < pages * 65536) {
      const memory = new WebAssembly.Memory({ initial: pages });
      const instance = new WebAssembly.Instance(mod, { env: { memory } });
      entry = { memory, exports: instance.exports as unknown as SimdExports };
    }
    cached = entry.memory.buffer.byteLength <= KEEP_BYTES ? entry : undefined;
    return new SimdWorkspace(entry.memory, entry.exports);
  }

  /** A 16-byte-aligned region of `bytes` bytes; returns its offset. */
  alloc(bytes: number): number {
    const at = this.#top;
    this.#top = (at + bytes + 15) & ~15;
    if (this.#top > this.memory.buffer.byteLength) throw new RangeError('SIMD workspace too small');
    return at;
  }

  f32(offset: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, count);
  }

  u8(offset: number, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, count);
  }
}

/** Bytes a workspace needs for regions of these sizes (each rounded up to 16). */
export function workspaceBytes(...sizes: number[]): number {
  return sizes.reduce((a, b) => a + ((b + 15) & ~15), 0);
}
