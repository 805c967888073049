/**
 * Whether this CPU has the int8 dot-product instructions onnxruntime's int8 kernels use: AVX-512 VNNI or
 * AVX-VNNI on x86 (VPDPBUSD), dotprod (SDOT/UDOT) and i8mm on ARM. Read from the kernel's CPU flags on Linux;
 * elsewhere the answer is "unknown", said as such.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Int8Support } from '../../../shared/explain.js';

const X86: [flag: string, name: string][] = [
  ['avx512_vnni', 'AVX-512 VNNI'],
  ['avx_vnni', 'AVX-VNNI'],
  ['amx_int8', 'AMX-INT8'],
];
const ARM: [flag: string, name: string][] = [
  ['asimddp', 'ARM dotprod'],
  ['i8mm', 'ARM i8mm'],
];

/** The int8 instructions named by a /proc/cpuinfo text (its first processor's flags). */
export function int8SupportFromCpuinfo(cpuinfo: string, arch: string = os.arch()): Int8Support {
  const line = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
  const flags = new Set(
    line
      .replace(/^[^:]*:/, '')
      .trim()
      .split(/\s+/),
  );
  const known = arch === 'arm64' || arch === 'arm' ? ARM : X86;
  const instructions = known.filter(([flag]) => flags.has(flag)).map(([, name]) => name);
  return {
    instructions,
    fast: instructions.length > 0,
    // Where they came from, not them again: the source is shown beside the list.
    source: instructions.length > 0 ? '/proc/cpuinfo' : '/proc/cpuinfo names none of them',
  };
}

export function int8Support(): Int8Support {
  try {
    return int8SupportFromCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // Not Linux: assume the common case (recent x86 and Apple silicon have them) but say it is not known.
    return { instructions: [], fast: true, source: `unknown on ${os.platform()} (no /proc/cpuinfo)` };
  }
}

/**
 * Whether onnxruntime's 8-bit matrix products can saturate here. Without VNNI, its x86 u8 x s8 kernels
 * (MatMulInteger, DynamicQuantizeMatMul, QLinearConv, QLinearMatMul) multiply with `vpmaddubsw`, which adds each
 * pair of products in a saturating 16-bit lane: two products of 255 x 127 overflow it, so a model with full 8-bit
 * weights measures less accurate there (a test MLP: cosine 0.98 to the float model where a VNNI CPU gives
 * 0.9999). 7-bit weights (`reduceRange`) keep the pairs in range. ARM's kernels sum in 32 bits.
 */
export function int8ProductsMaySaturate(
  support: Int8Support = int8Support(),
  arch: string = os.arch(),
): boolean {
  return arch === 'x64' && !support.fast;
}

/** What an int8 quantization with full 8-bit weights says on such a CPU: measured here, and the remedy. */
export const SATURATION_NOTE =
  "This machine's CPU has no VNNI: onnxruntime's 8-bit kernels here add pairs of products in 16 bits, which " +
  'saturate with full 8-bit weights, so this variant may measure less accurate here than on a CPU with VNNI. ' +
  '--reduce-range (7-bit weights) avoids it.';

/** Says `SATURATION_NOTE` for an int8 quantization with full 8-bit weights that quantized something, here. */
export function noteSaturation(
  reduceRange: boolean,
  quantizedNodes: number,
  note: (message: string) => void,
  maySaturate: boolean = int8ProductsMaySaturate(),
): void {
  if (!reduceRange && quantizedNodes > 0 && maySaturate) note(SATURATION_NOTE);
}
