import { describe, expect, it } from 'vitest';
import {
  int8ProductsMaySaturate,
  int8SupportFromCpuinfo,
  noteSaturation,
  SATURATION_NOTE,
} from './int8-support.js';

describe('int8SupportFromCpuinfo', () => {
  it('reads VNNI on x86 and dotprod/i8mm on ARM from the flags line', () => {
    expect(
      int8SupportFromCpuinfo('processor : 0\nflags : fpu sse avx2 avx512f avx512_vnni\n', 'x64'),
    ).toMatchObject({ instructions: ['AVX-512 VNNI'], fast: true });
    // Where they came from, not the list again (shown as "AVX-512 VNNI (/proc/cpuinfo)").
    expect(int8SupportFromCpuinfo('flags : avx512_vnni avx_vnni amx_int8\n', 'x64')).toEqual({
      instructions: ['AVX-512 VNNI', 'AVX-VNNI', 'AMX-INT8'],
      fast: true,
      source: '/proc/cpuinfo',
    });
    expect(int8SupportFromCpuinfo('flags : fpu sse avx2\n', 'x64')).toMatchObject({
      instructions: [],
      fast: false,
    });
    expect(int8SupportFromCpuinfo('Features : fp asimd asimddp i8mm\n', 'arm64').instructions).toEqual([
      'ARM dotprod',
      'ARM i8mm',
    ]);
  });
});

describe('int8 products that may saturate', () => {
  it('says so of an x86-64 CPU without VNNI only', () => {
    const x86 = (flags: string) => int8SupportFromCpuinfo(`flags : fpu sse avx2 ${flags}\n`, 'x64');
    expect(int8ProductsMaySaturate(x86(''), 'x64')).toBe(true);
    expect(int8ProductsMaySaturate(x86('avx512f avx512bw'), 'x64')).toBe(true);
    expect(int8ProductsMaySaturate(x86('avx512_vnni'), 'x64')).toBe(false);
    expect(int8ProductsMaySaturate(x86('avx_vnni'), 'x64')).toBe(false);
    // ARM's kernels sum in 32 bits, dotprod or not.
    expect(int8ProductsMaySaturate(int8SupportFromCpuinfo('Features : fp asimd\n', 'arm64'), 'arm64')).toBe(
      false,
    );
  });

  it('notes it only for full 8-bit weights that quantized something, on such a CPU', () => {
    const said: string[] = [];
    const note = (m: string) => said.push(m);
    noteSaturation(false, 3, note, true);
    noteSaturation(true, 3, note, true);
    noteSaturation(false, 0, note, true);
    noteSaturation(false, 3, note, false);
    expect(said).toEqual([SATURATION_NOTE]);
  });
});
