import { describe, expect, it } from 'vitest';
import { int8SupportFromCpuinfo } from './int8-support.js';

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
