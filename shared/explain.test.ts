import { describe, expect, it } from 'vitest';
import { explainProfiles, kernelKind } from './explain.js';

const fast = { instructions: ['AVX-512 VNNI'], fast: true, source: '/proc/cpuinfo' };
const op = (opType: string, ms: number) => ({ opType, ms, pct: 0 });

describe('explainProfiles', () => {
  it('splits kernel time into kinds and names the float islands of a detector', () => {
    const e = explainProfiles({
      original: { p50Ms: 60, byOpType: [op('Conv', 29), op('Resize', 2.3), op('Add', 4), op('Mul', 5)] },
      variant: {
        p50Ms: 45,
        byOpType: [
          op('QLinearConv', 13.7),
          op('Resize', 6.9),
          op('DequantizeLinear', 4.9),
          op('QuantizeLinear', 2.6),
          op('Mul', 6),
          op('Div', 5),
          op('ReorderOutput', 0.5),
        ],
      },
      int8: fast,
    });
    expect(e.p50Ratio).toBeCloseTo(0.75, 5);
    const share = Object.fromEntries(e.variant.byKind.map((k) => [k.kind, k.pct]));
    expect(share.quantized! + share.float! + share.conversion! + share.layout!).toBeCloseTo(100, 6);
    expect(share.conversion).toBeCloseTo((7.5 / 39.6) * 100, 6);
    expect(e.floatOps.map((o) => o.opType)).toEqual(['Resize', 'Mul', 'Div']);
    expect(e.floatOps[0]).toMatchObject({ originalMs: 2.3 });
    expect(e.advice.join('\n')).toMatch(/Resize, Mul and Div stay in float: 45% of run time/);
    expect(e.advice.join('\n')).toMatch(/Q\/DQ conversions take 19%/);
    expect(e.advice.join('\n')).not.toMatch(/not faster|dot-product/);
  });

  it('gives an fp16 variant advice on devices, not on float islands or int8 kernels it never meant to have', () => {
    const profiles = {
      original: { p50Ms: 1, byOpType: [op('MatMul', 4), op('Add', 1)] },
      variant: { p50Ms: 1.4, byOpType: [op('MatMul', 5), op('Add', 1), op('Cast', 1)] },
      int8: fast,
      variantOperation: 'quantize' as const,
    };
    const withoutMethod = explainProfiles(profiles).advice.join('\n');
    expect(withoutMethod).toMatch(/Nothing runs in int8 or int4/);
    const e = explainProfiles({ ...profiles, variantMethod: 'fp16' });
    const fp16 = e.advice.join('\n');
    expect(fp16).toMatch(/fp16 halves the weights' size; its speed depends on the device\. /);
    expect(fp16).toMatch(/measure it on a GPU/);
    expect(fp16).not.toMatch(/stays? in float|Nothing runs in int8/);
    // The ratio once: "not faster" says it, the fp16 advice does not again.
    expect(fp16.match(/1\.40x/g)).toEqual(['1.40x']);
    // Its ops were converted to float16: not "left in float", and int8 instructions are beside the point.
    expect(e.variantPrecision).toBe('fp16');
    expect(e.slowestOps.map((o) => o.opType)).toEqual(['MatMul', 'Add', 'Cast']);
    expect(e.slowestOps[0]).toMatchObject({ ms: 5, originalMs: 4 });
    expect(explainProfiles(profiles).variantPrecision).toBe('int8');
  });

  it('gives the ratio in the fp16 advice where no "not faster" advice said it', () => {
    const advice = explainProfiles({
      original: { p50Ms: 1, byOpType: [op('MatMul', 4)] },
      variant: { p50Ms: 0.8, byOpType: [op('MatMul', 3), op('Cast', 0.2)] },
      int8: fast,
      variantOperation: 'quantize',
      variantMethod: 'fp16',
    }).advice;
    expect(advice.join('\n')).not.toMatch(/not faster/);
    expect(advice.join('\n').match(/0\.80x/g)).toEqual(['0.80x']);
    expect(advice[0]).toMatch(
      /its speed depends on the device \(this run is at 0\.80x of the original's p50\)\./,
    );
  });

  it("goes by the benchmark's verdict against its noise where the caller gives it, and says it beside the ratio", () => {
    // The user test: fp16 on a CPU at 0.90x, "within noise" in Compare's table; the panel said a bare
    // "this run is at 0.90x the original's p50", which read as fp16 being faster.
    const fp16 = {
      original: { p50Ms: 1, byOpType: [op('MatMul', 4)] },
      variant: { p50Ms: 0.9, byOpType: [op('MatMul', 3), op('Cast', 0.2)] },
      int8: fast,
      variantOperation: 'quantize' as const,
      variantMethod: 'fp16',
    };
    const same = explainProfiles({ ...fp16, speed: { verdict: 'same' } });
    expect(same.advice[0]).toBe(
      "The variant runs at 0.90x of the original's p50, within the run's noise: it is not measurably faster on this machine.",
    );
    expect(same.speed).toEqual({ verdict: 'same' });
    expect(same.advice.join('\n').match(/0\.90x/g)).toEqual(['0.90x']);
    const noisy = explainProfiles({ ...fp16, speed: { verdict: 'same', unreliable: true } });
    expect(noisy.advice[0]).toContain('from a run too noisy to tell speeds apart');
    const faster = explainProfiles({ ...fp16, speed: { verdict: 'faster' } });
    expect(faster.advice.join('\n')).toContain(
      "(this run is at 0.90x of the original's p50, faster beyond the run's noise)",
    );
    // A pruned variant within noise did not "cut the work".
    const pruned = {
      ...fp16,
      variant: { p50Ms: 0.9, byOpType: [op('MatMul', 3.6)] },
      variantOperation: 'prune' as const,
      variantMethod: 'magnitude',
    };
    expect(explainProfiles(pruned).advice.join('\n')).toContain('Pruning cut the work');
    expect(explainProfiles({ ...pruned, speed: { verdict: 'same' } }).advice.join('\n')).not.toContain(
      'Pruning cut the work',
    );
  });

  it('tells which variants have int8 kernels to speak of', () => {
    const base = {
      original: { p50Ms: 1, byOpType: [op('Gemm', 1)] },
      variant: { p50Ms: 1, byOpType: [op('Gemm', 1)] },
      int8: fast,
    };
    expect(explainProfiles(base).variantPrecision).toBe('float');
    expect(explainProfiles({ ...base, variantOperation: 'prune' }).variantPrecision).toBe('float');
    expect(
      explainProfiles({ ...base, variant: { p50Ms: 1, byOpType: [op('QGemm', 1)] } }).variantPrecision,
    ).toBe('int8');
  });

  it('says when int8-dynamic left the convolutions in float, and when the CPU lacks int8 dot products', () => {
    const e = explainProfiles({
      original: { p50Ms: 1, byOpType: [op('Conv', 4)] },
      variant: { p50Ms: 1.01, byOpType: [op('Conv', 4), op('DynamicQuantizeMatMul', 0.1)] },
      int8: { instructions: [], fast: false, source: '/proc/cpuinfo names none of them' },
      variantGraphOps: { Conv: 9, 'com.microsoft::DynamicQuantizeMatMul': 1 },
    });
    const advice = e.advice.join('\n');
    expect(advice).toMatch(/1\.01x .* not faster/);
    expect(advice).toMatch(/no int8 dot-product instructions/);
    expect(advice).toMatch(/int8-dynamic leaves Conv in float \(98% of run time here\): use int8-static/);
  });

  it('counts data movement on 8-bit tensors (Expand of an int8 upsampling) as quantized, not as a float island', () => {
    expect(kernelKind('Expand', true)).toBe('quantized');
    expect(kernelKind('Expand')).toBe('float');
    const e = explainProfiles({
      original: { p50Ms: 10, byOpType: [{ opType: 'Conv', ms: 10, pct: 100 }] },
      variant: {
        p50Ms: 6,
        byOpType: [
          { opType: 'QLinearConv', ms: 5, pct: 83 },
          { opType: 'Expand', ms: 1, pct: 17, int8Data: true },
        ],
      },
      int8: { instructions: ['AVX-512 VNNI'], fast: true, source: '/proc/cpuinfo' },
    });
    expect(e.floatOps).toEqual([]);
    expect(e.variant.byKind.find((k) => k.kind === 'quantized')!.ms).toBe(6);
  });

  // The user test: an int8-static MLP profiled as a QuantizeLinear of its float input and QGemm throughout (its
  // Relu fused in, its output dequantized by QGemm). The advice said "activations go back and forth between float
  // and int8 around float ops. Fewer float islands (see above)", with no float op and nothing above.
  const staticMlp = {
    original: { p50Ms: 0.039, byOpType: [op('Gemm', 0.015)] },
    variant: { p50Ms: 0.048, byOpType: [op('QGemm', 0.018), op('QuantizeLinear', 0.005)] },
    int8: fast,
    variantOperation: 'quantize' as const,
    variantMethod: 'int8-static',
  };

  it("says that the Q/DQ of a variant with no float op are at the model's boundary, not around float islands", () => {
    const e = explainProfiles(staticMlp);
    expect(e.floatOps).toEqual([]);
    const advice = e.advice.join('\n');
    expect(advice).toMatch(
      /Q\/DQ conversions take 22% of run time: no op of this variant runs in float, so they are not around float islands but at the model's boundary \(quantizing its float inputs, dequantizing its outputs\), which every int8 model does and no option removes\./,
    );
    expect(advice).not.toMatch(/around float ops|Fewer float islands|see above/);
    expect(advice).toMatch(
      /Their share is large where the model computes little between its inputs and outputs\./,
    );
  });

  it('names the float ops too few for advice of their own where the Q/DQ are around them', () => {
    const advice = explainProfiles({
      ...staticMlp,
      variant: {
        p50Ms: 0.05,
        byOpType: [op('QGemm', 0.018), op('QuantizeLinear', 0.005), op('Softmax', 0.001)],
      },
    }).advice.join('\n');
    expect(advice).toMatch(
      /Q\/DQ conversions take 21% of run time: they are at the model's boundary .*no option removes, and around the few ops left in float \(Softmax: 4% of run time\), which keeping fewer ops in float removes\./,
    );
    expect(advice).not.toMatch(/see above/);
  });

  it('says what the Q/DQ of an int8-dynamic variant with no float op are for', () => {
    const advice = explainProfiles({
      original: { p50Ms: 0.05, byOpType: [op('MatMul', 0.02)] },
      variant: { p50Ms: 0.06, byOpType: [op('MatMulInteger', 0.02), op('DynamicQuantizeLinear', 0.01)] },
      int8: fast,
    }).advice.join('\n');
    expect(advice).toMatch(
      /Q\/DQ conversions take 33% of run time: int8-dynamic computes the scale of each quantized op's input and quantizes it on every run/,
    );
    expect(advice).not.toMatch(/boundary|see above/);
  });

  // A pruned MLP as the app profiled it: the same float kernels as the original, and slower.
  const prunedMlp = {
    original: { p50Ms: 0.027, byOpType: [op('Gemm', 0.012), op('Relu', 0.003)] },
    variant: { p50Ms: 0.0345, byOpType: [op('Gemm', 0.015), op('Relu', 0.004)] },
    int8: fast,
  };

  it('gives a pruned variant advice about pruning, not about quantization', () => {
    const advice = explainProfiles({ ...prunedMlp, variantOperation: 'prune' }).advice.join('\n');
    expect(advice).toMatch(/1\.28x .* not faster/);
    expect(advice).toMatch(/Weights set to zero still cost time/);
    expect(advice).toMatch(/Only channels removed outright shrink/);
    expect(advice).toMatch(/at 0\.035 ms a run, per-op overhead/);
    expect(advice).not.toMatch(/int8:|quantizes this model|stays? in float|Q\/DQ/);
  });

  it('says a pruned variant that got faster did so in float, and that int8 is the next step', () => {
    const advice = explainProfiles({
      ...prunedMlp,
      variant: { p50Ms: 0.02, byOpType: [op('Gemm', 0.008), op('Relu', 0.003)] },
      variantOperation: 'prune',
    }).advice.join('\n');
    expect(advice).toMatch(/Pruning cut the work: the variant runs at 0\.74x/);
    expect(advice).not.toMatch(/not faster|zero still cost/);
  });

  it('without being told, does not take an all-float variant for a failed quantization', () => {
    const advice = explainProfiles(prunedMlp).advice.join('\n');
    // Before: "Gemm and Relu stay in float ... Nothing runs in int8: check that the method quantizes ..."
    expect(advice).not.toMatch(/stays? in float|Nothing runs in int8/);
    expect(advice).toMatch(/Every kernel of this variant runs in float, as in the original/);
    expect(advice).toMatch(/If it was pruned: weights set to zero still cost time/);
    expect(advice).toMatch(
      /If it was meant to be quantized, check that the method quantizes this model's ops/,
    );
  });

  it('still says when a quantized variant runs nothing in int8', () => {
    const e = explainProfiles({
      original: { p50Ms: 1, byOpType: [op('Conv', 4)] },
      variant: { p50Ms: 1.2, byOpType: [op('Conv', 4), op('DequantizeLinear', 0.2)] },
      int8: fast,
    });
    expect(e.advice.join('\n')).toMatch(
      /Conv stays in float: .* Nothing runs in int8 or int4: check that the method/,
    );
    expect(explainProfiles({ ...prunedMlp, variantOperation: 'quantize' }).advice.join('\n')).toMatch(
      /Nothing runs in int8 or int4/,
    );
  });

  it('names the exclude-nodes option by what it is, not by the command-line flag (the app shows it too)', () => {
    const e = explainProfiles({
      original: { p50Ms: 10, byOpType: [op('Conv', 8), op('Resize', 2)] },
      variant: { p50Ms: 9, byOpType: [op('QLinearConv', 3), op('Resize', 2), op('Sigmoid', 2)] },
      int8: fast,
    });
    const advice = e.advice.join('\n');
    expect(advice).toMatch(/fewer nodes in the quantizer's "exclude nodes" option/);
    expect(advice).not.toMatch(/--[a-z]/);
  });

  it("with the quantize report, names the options that kept the slowest float ops float, in the quantizer's words", () => {
    const reason = 'excluded by --exclude-nodes';
    const e = explainProfiles({
      original: { p50Ms: 10, byOpType: [op('Conv', 8), op('Resize', 2)] },
      variant: { p50Ms: 9, byOpType: [op('QLinearConv', 3), op('FusedConv', 3), op('Resize', 2)] },
      int8: fast,
      skippedNodes: [
        ...['c1', 'c2', 'c3', 'c4'].map((name) => ({
          name,
          opType: 'Conv',
          reason,
          option: '--exclude-nodes',
        })),
        // A limit of the method, not an option: nothing the user can change about it.
        { name: 'c5', opType: 'Conv', reason: 'the weight is not a float32 constant' },
        // Not among the float ops of the profile.
        { name: 'm1', opType: 'MatMul', reason, option: '--exclude-nodes' },
      ],
    });
    const advice = e.advice.join('\n');
    expect(advice).toMatch(
      /keeping fewer ops in float removes both\. Conv 'c1', Conv 'c2', Conv 'c3' and 1 more stay float: excluded by --exclude-nodes\.$/m,
    );
    expect(advice).not.toMatch(/c5|m1|"exclude nodes"/);
  });

  // int8-static's stem Conv, as the quantizer reports it (electron/engine/quantize/static/qdq-plan.ts).
  const stem = {
    original: { p50Ms: 0.5, byOpType: [op('Conv', 0.4), op('ReduceMean', 0.02)] },
    variant: {
      p50Ms: 0.41,
      byOpType: [
        op('QLinearConv', 0.15),
        op('Conv', 0.05),
        op('ReduceMean', 0.013),
        op('QuantizeLinear', 0.02),
      ],
    },
    int8: fast,
    skippedNodes: [
      {
        name: 'stem_conv',
        opType: 'Conv',
        reason:
          "it reads the model's float input with 3 channels: onnxruntime's int8 convolution is slower than float there, " +
          'and the input would need a full-size QuantizeLinear (--quantize-input-conv quantizes it anyway)',
        option: '--quantize-input-conv',
      },
    ],
  };

  it("gives the quantizer's reason in a sentence with one colon", () => {
    const advice = explainProfiles(stem).advice.join('\n');
    const why = /Conv 'stem_conv' stays float: [^.]*\./.exec(advice)?.[0];
    expect(why).toBe(
      "Conv 'stem_conv' stays float: it reads the model's float input with 3 channels; onnxruntime's int8 convolution is slower than float there, and the input would need a full-size QuantizeLinear (--quantize-input-conv quantizes it anyway).",
    );
  });

  it("names the option by the form's label where the caller gives the labels (the app), by its flag without", () => {
    const labels = new Map([['--quantize-input-conv', 'Quantize input conv']]);
    const advice = explainProfiles({ ...stem, optionLabels: labels }).advice.join('\n');
    expect(advice).toMatch(/\(the "Quantize input conv" option quantizes it anyway\)\./);
    expect(advice).not.toMatch(/--quantize-input-conv/);
    expect(explainProfiles(stem).advice.join('\n')).toMatch(/\(--quantize-input-conv quantizes it anyway\)/);
  });

  it('classifies onnxruntime kernels', () => {
    expect(
      ['QLinearConv', 'MatMulNBits', 'QGemm', 'GatherBlockQuantized'].map((op) => kernelKind(op)),
    ).toEqual(['quantized', 'quantized', 'quantized', 'quantized']);
    // A Cast is a conversion only where the variant added it (below), not by its op type.
    expect(['DequantizeLinear', 'Cast', 'ReorderInput', 'FusedConv'].map((op) => kernelKind(op))).toEqual([
      'conversion',
      'float',
      'layout',
      'float',
    ]);
  });
});

describe('explainProfiles: which Casts are conversions', () => {
  const node = (name: string, opType: string, ms: number) => ({ name, opType, ms });
  // The reviewer's MLP: its int64 `sr` input is cast to float in both models (onnxruntime names the unnamed
  // Cast `Cast_0`); int8-dynamic fused its MatMuls into DynamicQuantizeMatMul and added no Q/DQ.
  const mlpSr = {
    original: {
      p50Ms: 0.08,
      byOpType: [op('MatMul', 0.014), op('Cast', 0.03), op('Div', 0.007)],
      nodes: [node('Cast_0', 'Cast', 0.03), node('mm1', 'MatMul', 0.007), node('mm2', 'MatMul', 0.007)],
    },
    variant: {
      p50Ms: 0.084,
      byOpType: [op('Cast', 0.03), op('DynamicQuantizeMatMul', 0.015), op('Div', 0.007)],
      nodes: [node('Cast_0', 'Cast', 0.03), node('mm1', 'DynamicQuantizeMatMul', 0.008)],
    },
    int8: fast,
  };

  it("does not call the model's own Cast of an int64 input a Q/DQ conversion", () => {
    const e = explainProfiles(mlpSr);
    expect(e.variant.byKind.find((k) => k.kind === 'conversion')!.ms).toBe(0);
    expect(e.variant.byOpType.find((o) => o.opType === 'Cast')!.kind).toBe('float');
    expect(e.advice.join('\n')).not.toMatch(/conversions|Casts the original/);
    // Without node times the op types tell: the original has a Cast too.
    const byOpTypeOnly = explainProfiles({
      ...mlpSr,
      original: { ...mlpSr.original, nodes: undefined },
      variant: { ...mlpSr.variant, nodes: undefined },
    });
    expect(byOpTypeOnly.advice.join('\n')).not.toMatch(/conversions|Casts the original/);
  });

  it('counts the Casts a quantizer added as conversions, the renumbered unnamed one of the original not', () => {
    const e = explainProfiles({
      ...mlpSr,
      variant: {
        p50Ms: 0.09,
        byOpType: [op('Cast', 0.04), op('MatMulInteger', 0.015), op('Div', 0.007)],
        // A node added ahead of it renumbered the original's unnamed Cast_0 to Cast_2.
        nodes: [node('Cast_2', 'Cast', 0.03), node('mm1_output_cast', 'Cast', 0.01)],
      },
    });
    const casts = e.variant.byOpType.filter((o) => o.opType === 'Cast');
    expect(casts.map((o) => [o.kind, o.ms])).toEqual([
      ['conversion', 0.01],
      ['float', 0.03],
    ]);
    expect(e.variant.byKind.find((k) => k.kind === 'conversion')!.ms).toBeCloseTo(0.01, 12);
    expect(e.floatOps.find((o) => o.opType === 'Cast')).toMatchObject({ ms: 0.03, originalMs: 0.03 });
    expect(e.advice.join('\n')).toMatch(/Casts the original does not have take 16% of run time/);
    expect(e.advice.join('\n')).not.toMatch(/Q\/DQ conversions/);
  });

  it('counts every Cast of an fp16 variant of a model without any as added, from the op types alone', () => {
    const e = explainProfiles({
      original: { p50Ms: 1, byOpType: [op('MatMul', 1)] },
      variant: { p50Ms: 1.2, byOpType: [op('MatMul', 0.7), op('Cast', 0.3)] },
      int8: fast,
    });
    expect(e.variant.byKind.find((k) => k.kind === 'conversion')!.pct).toBeCloseTo(30, 6);
    expect(e.advice.join('\n')).toMatch(/Casts the original does not have take 30%/);
  });
});

describe('explainProfiles of unrelated models', () => {
  it('gives the times but no advice on a compression', () => {
    // A CNN "explained" against an MLP: it is all float, and faster.
    const input = {
      original: { p50Ms: 0.1, byOpType: [op('Conv', 0.08)] },
      variant: { p50Ms: 0.05, byOpType: [op('MatMul', 0.03), op('Cast', 0.02)] },
      int8: fast,
    };
    expect(explainProfiles(input).advice.join('\n')).toMatch(/Something other than quantization/);
    const e = explainProfiles({ ...input, unrelated: true });
    expect(e.advice).toEqual([expect.stringMatching(/^The two models look unrelated: .* no advice/)]);
    expect(e.p50Ratio).toBe(0.5);
    // Its Cast is its own, not one "added" to a model it was not made from.
    expect(e.floatOps.map((o) => o.opType)).toEqual(['MatMul', 'Cast']);
    expect(e.variant.byKind.find((k) => k.kind === 'conversion')!.ms).toBe(0);
  });
});

describe('explainProfiles follows what the variant is', () => {
  // The reviewer's conv net, pruned structured 20%: Convs of 13 and 26 channels, 1.45x slower, ReorderOutput
  // from 0.03 to 0.23 ms.
  const structured = {
    original: {
      p50Ms: 0.4,
      byOpType: [op('Conv', 0.3), op('ReorderOutput', 0.03), op('ReduceMean', 0.02), op('MatMul', 0.01)],
    },
    variant: {
      p50Ms: 0.58,
      byOpType: [op('Conv', 0.28), op('ReorderOutput', 0.23), op('ReduceMean', 0.02), op('MatMul', 0.01)],
    },
    int8: fast,
    variantOperation: 'prune' as const,
    variantMethod: 'structured',
    unalignedConvs: [
      { name: 'Conv(conv1.out)', opType: 'Conv', before: 16, channels: 13 },
      { name: 'Conv(conv2.out)', opType: 'Conv', before: 32, channels: 26 },
    ],
  };

  it('tells a structured-pruned variant its odd channel counts and the option that rounds them, not to prune channels', () => {
    const advice = explainProfiles(structured).advice.join('\n');
    expect(advice).toMatch(/1\.45x .* not faster/);
    expect(advice).toMatch(
      /Structured pruning left 2 convolutions with channel counts that are not a multiple of 8 \(13 and 26\)/,
    );
    expect(advice).toMatch(/layout reorders take 43% of run time here, 8% in the original/);
    expect(advice).toMatch(/Prune again with --round-to 8 \(16 on a CPU with AVX-512\)/);
    expect(advice).not.toMatch(/set to zero|prune whole channels|\(structured\)/);
    // The reorders are said once, with their cause.
    expect(advice).not.toMatch(/Layout reorders \(ReorderInput/);
    // In the app, the option as the prune form labels it.
    const labels = new Map([['--round-to', 'Round to']]);
    const app = explainProfiles({ ...structured, optionLabels: labels }).advice.join('\n');
    expect(app).toMatch(/Prune again with the "Round to" option at 8 /);
    expect(app).not.toMatch(/--round-to/);
  });

  it('does not tell a structured-pruned variant with aligned channels about zeroed weights either', () => {
    const advice = explainProfiles({ ...structured, unalignedConvs: [] }).advice.join('\n');
    expect(advice).toMatch(/Structured pruning removed whole channels, yet the variant is not faster/);
    expect(advice).not.toMatch(/set to zero|prune whole channels|round-to/);
  });

  it('keeps the zeroed-weights advice for magnitude pruning', () => {
    const advice = explainProfiles({ ...structured, variantMethod: 'magnitude' }).advice.join('\n');
    expect(advice).toMatch(/Weights set to zero still cost time/);
    expect(advice).toMatch(/prune whole channels \(structured\)/);
    expect(advice).not.toMatch(/round-to|multiple of 8/);
  });

  // An int4 MLP: the MatMuls became MatMulNBits; the Relu and Add stay as the original's, no Q/DQ anywhere.
  const int4 = {
    original: { p50Ms: 0.1, byOpType: [op('MatMul', 0.06), op('Relu', 0.02), op('Add', 0.02)] },
    variant: { p50Ms: 0.12, byOpType: [op('MatMulNBits', 0.07), op('Relu', 0.02), op('Add', 0.02)] },
    int8: fast,
  };

  it('does not talk of float islands and Q/DQ to a weight-only int4 variant', () => {
    for (const known of [{ variantOperation: 'quantize' as const, variantMethod: 'int4' }, {}]) {
      const advice = explainProfiles({ ...int4, ...known, sizeRatio: 0.2 }).advice.join('\n');
      expect(advice).not.toMatch(/island|QuantizeLinear|DequantizeLinear|Q\/DQ/);
      expect(advice).toMatch(
        /int4 stores the MatMul weights and embedding tables in 4 bits, .*activations and every other op compute in float, as in the original: Relu and Add take 36% of run time/,
      );
      expect(advice).toMatch(/makes the file smaller \(x0\.20 here\)/);
    }
  });

  it('calls a variant whose only 4-bit kernels are GatherBlockQuantized int4, as diff does', () => {
    // int4 with --op-types Gather (or a model of tables alone): the lookups are 4-bit, the MatMul stays float.
    const advice = explainProfiles({
      original: { p50Ms: 0.1, byOpType: [op('Gather', 0.01), op('MatMul', 0.06), op('Add', 0.02)] },
      variant: {
        p50Ms: 0.1,
        byOpType: [op('GatherBlockQuantized', 0.01), op('MatMul', 0.06), op('Add', 0.02)],
      },
      int8: fast,
      sizeRatio: 0.4,
    }).advice.join('\n');
    expect(advice).toMatch(/int4 stores the MatMul weights and embedding tables in 4 bits/);
    expect(advice).not.toMatch(/island|QuantizeLinear|Nothing runs in int8/);
  });

  it('says what int8-weight costs: a DequantizeLinear of every weight on every run, not float islands', () => {
    const advice = explainProfiles({
      original: { p50Ms: 0.1, byOpType: [op('MatMul', 0.08), op('Relu', 0.02)] },
      variant: {
        p50Ms: 0.13,
        byOpType: [op('MatMul', 0.08), op('DequantizeLinear', 0.03), op('Relu', 0.02)],
      },
      int8: fast,
      variantOperation: 'quantize',
      variantMethod: 'int8-weight',
    }).advice.join('\n');
    expect(advice).toMatch(/int8-weight stores the weights in int8 and rebuilds them in float/);
    expect(advice).toMatch(
      /Q\/DQ conversions take 23% of run time: int8-weight rebuilds the float weights on every run/,
    );
    expect(advice).not.toMatch(/island|Nothing runs in int8|between float and int8/);
  });

  it("says what fp16 did to the size as measured: nothing, where the original's weights were float16 already", () => {
    const fp16 = {
      original: { p50Ms: 1, byOpType: [op('MatMul', 4), op('Cast', 0.5)] },
      variant: { p50Ms: 1.2, byOpType: [op('MatMul', 4), op('Cast', 0.6)] },
      int8: fast,
      variantOperation: 'quantize' as const,
      variantMethod: 'fp16',
    };
    const same = explainProfiles({ ...fp16, sizeRatio: 1.0006 }).advice.join('\n');
    expect(same).toMatch(
      /fp16 left the size as it was \(x1\.00 of the original's\): the original's weights were already float16/,
    );
    expect(same).not.toMatch(/halve(s|d) the weights/);
    const half = explainProfiles({ ...fp16, sizeRatio: 0.51 }).advice.join('\n');
    expect(half).toMatch(
      /fp16 stored the float weights in half the bytes \(the variant is x0\.51 of the original's size\)/,
    );
  });
});

describe('explainProfiles: int8 kernels slower than the float ones they replaced', () => {
  // An OCR line net's int8-static variant as profiled (ms): onnxruntime's int8 MaxPool on a [1, 8, 48, 200]
  // tensor takes 13x its float one and most of the variant's time.
  const node = (name: string, opType: string, ms: number) => ({ name, opType, ms });
  const ocr = {
    original: {
      p50Ms: 0.299,
      byOpType: [
        op('Conv', 0.116),
        op('ReorderOutput', 0.049),
        op('MaxPool', 0.029),
        op('ReduceMean', 0.015),
      ],
      nodes: [
        node('ar_nchwc', 'Conv', 0.069),
        node('br_nchwc', 'Conv', 0.047),
        node('ReorderOutput', 'ReorderOutput', 0.049),
        node('pool1', 'MaxPool', 0.029),
        node('rmean', 'ReduceMean', 0.015),
      ],
    },
    variant: {
      p50Ms: 0.7,
      byOpType: [
        { ...op('MaxPool', 0.377), int8Data: true },
        op('Conv', 0.07),
        op('QLinearConv', 0.056),
        op('ReorderOutput', 0.034),
        { ...op('Transpose', 0.027), int8Data: true },
        op('QuantizeLinear', 0.026),
        op('ReduceMean', 0.015),
        op('DequantizeLinear', 0.012),
      ],
      nodes: [
        node('pool1', 'MaxPool', 0.377),
        node('a_nchwc', 'Conv', 0.07),
        node('conv2_token_3', 'QLinearConv', 0.056),
        node('ReorderOutput', 'ReorderOutput', 0.034),
        node('ar_q', 'QuantizeLinear', 0.026),
        node('rmean', 'ReduceMean', 0.015),
        node('Transpose', 'Transpose', 0.027),
        node('br_dq', 'DequantizeLinear', 0.012),
      ],
    },
    int8: fast,
    variantOperation: 'quantize' as const,
    variantMethod: 'int8-static',
  };

  it('names the int8 kernel that takes most of the time and what to do, with the figures', () => {
    const e = explainProfiles(ocr);
    expect(e.slowerKernels).toEqual([
      expect.objectContaining({
        opType: 'MaxPool',
        counterpart: 'MaxPool',
        matchedBy: 'node',
        nodes: ['pool1'],
        variantMs: 0.377,
        originalMs: 0.029,
      }),
    ]);
    // First after "not faster": it is the main reason.
    expect(e.advice[0]).toMatch(/not faster/);
    expect(e.advice[1]).toMatch(
      /^MaxPool runs in int8 \('pool1'\) and takes 0\.377 ms, 61% of the variant's kernel time, against 0\.029 ms for that node in float in the original \(13\.0x\)/,
    );
    expect(e.advice[1]).toMatch(/--exclude-nodes pool1/);
    expect(e.advice[1]).toMatch(/--op-types listing the op types to quantize without MaxPool/);
    expect(e.advice[1]).toMatch(/run explain on the new variant and compare/);
    // The int8 convolution is not slower than the float ones it replaced (0.126 ms with the float Conv left,
    // against 0.116 ms): not named.
    expect(e.advice.join('\n')).not.toMatch(/QLinearConv runs in int8/);
  });

  it('traces an original kernel run in the blocked layout (named after its output) to the node the benchmark resolved', () => {
    const blocked = (node?: string) => ({
      ...ocr,
      original: {
        ...ocr.original,
        nodes: ocr.original.nodes.map((n) =>
          n.name === 'pool1' ? { ...n, name: 'pool1.out_nchwc', ...(node ? { node } : {}) } : n,
        ),
      },
    });
    // Unresolved, the kernel cannot be traced: compared by op type, no node named.
    expect(explainProfiles(blocked()).slowerKernels[0]).toMatchObject({ matchedBy: 'opType', nodes: [] });
    const e = explainProfiles(blocked('pool1'));
    expect(e.slowerKernels[0]).toMatchObject({ matchedBy: 'node', nodes: ['pool1'], originalMs: 0.029 });
    expect(e.advice[1]).toMatch(/--exclude-nodes pool1/);
  });

  it('says where onnxruntime runs in int8 a node the quantizer already left in float', () => {
    const advice = explainProfiles({
      ...ocr,
      skippedNodes: [
        {
          name: 'pool1',
          opType: 'MaxPool',
          reason: 'excluded by --exclude-nodes',
          option: '--exclude-nodes',
        },
      ],
    }).advice.join('\n');
    expect(advice).toMatch(/The quantizer left it in float already, yet onnxruntime runs it in int8/);
    expect(advice).not.toMatch(/--exclude-nodes pool1/);
  });

  it("names the options by the form's labels where the caller gives them (the app)", () => {
    const labels = new Map([
      ['--exclude-nodes', 'Exclude nodes'],
      ['--op-types', 'Op types'],
    ]);
    const advice = explainProfiles({ ...ocr, optionLabels: labels }).advice[1]!;
    expect(advice).toMatch(/the "Exclude nodes" option set to pool1, or with the "Op types" option/);
    expect(advice).not.toMatch(/--exclude-nodes|--op-types/);
  });

  it('compares by op type where the kernels cannot be traced to nodes', () => {
    const e = explainProfiles({
      original: { p50Ms: 2, byOpType: [op('Conv', 1), op('Gemm', 0.6), op('Relu', 0.2)] },
      variant: {
        p50Ms: 4,
        byOpType: [op('QLinearConv', 3), op('QGemm', 0.3), op('QuantizeLinear', 0.2)],
        nodes: [node('QLinearConv_4', 'QLinearConv', 3), node('QGemm_9', 'QGemm', 0.3)],
      },
      int8: fast,
    });
    expect(e.slowerKernels).toEqual([
      expect.objectContaining({ opType: 'QLinearConv', counterpart: 'Conv', matchedBy: 'opType', nodes: [] }),
    ]);
    const advice = e.advice.join('\n');
    expect(advice).toMatch(
      /QLinearConv runs in int8 and takes 3\.000 ms, 86% of the variant's kernel time; the variant's QLinearConv and Conv kernels take 3\.000 ms against 1\.000 ms for Conv in the original \(3\.0x\)/,
    );
    expect(advice).toMatch(
      /--op-types listing the op types to quantize without Conv, or with --exclude-nodes naming its nodes/,
    );
    // A faster int8 kernel is not a cause.
    expect(advice).not.toMatch(/QGemm runs/);
  });

  // A transformer block's int8-dynamic variant as profiled (ms): its two MatMuls, all the method quantized, run as
  // DynamicQuantizeMatMul. The op type's median run (0.118) is not its nodes' medians summed (0.05 + 0.06).
  const dynamicBlock = {
    original: {
      p50Ms: 0.2,
      byOpType: [op('MatMul', 0.09), op('Add', 0.03), op('Softmax', 0.02)],
      nodes: [
        node('q_proj', 'MatMul', 0.04),
        node('ffn1', 'MatMul', 0.05),
        node('res', 'Add', 0.03),
        node('att', 'Softmax', 0.02),
      ],
    },
    variant: {
      p50Ms: 0.23,
      byOpType: [op('DynamicQuantizeMatMul', 0.118), op('Add', 0.03), op('Softmax', 0.02)],
      nodes: [
        node('q_proj', 'DynamicQuantizeMatMul', 0.05),
        node('ffn1', 'DynamicQuantizeMatMul', 0.06),
        node('res', 'Add', 0.03),
        node('att', 'Softmax', 0.02),
      ],
    },
    int8: fast,
    variantOperation: 'quantize' as const,
    variantMethod: 'int8-dynamic',
  };

  it('gives a kernel traced to its nodes one time: the figure compared with the original, in the advice and the JSON', () => {
    const e = explainProfiles(dynamicBlock);
    expect(e.slowerKernels).toHaveLength(1);
    const k = e.slowerKernels[0]!;
    expect(k).toMatchObject({ matchedBy: 'node', nodes: ['q_proj', 'ffn1'] });
    expect(k.variantMs).toBeCloseTo(0.11, 12);
    expect(k.originalMs).toBeCloseTo(0.09, 12);
    expect(k.ms).toBe(k.variantMs);
    expect(k.pct).toBeCloseTo((0.11 / (0.118 + 0.03 + 0.02)) * 100, 9);
    expect(e.advice[1]).toMatch(
      /takes 0\.110 ms, 65% of the variant's kernel time, against 0\.090 ms for those nodes in float in the original \(1\.2x\)/,
    );
  });

  it('judges the slower kernels together: two that between them hold every quantized node undo the method', () => {
    const twoKernels = explainProfiles({
      original: {
        p50Ms: 0.2,
        byOpType: [op('MatMul', 0.05), op('Conv', 0.05), op('Add', 0.03)],
        nodes: [node('q_proj', 'MatMul', 0.05), node('c1', 'Conv', 0.05), node('res', 'Add', 0.03)],
      },
      variant: {
        p50Ms: 0.3,
        byOpType: [op('QLinearMatMul', 0.09), op('QLinearConv', 0.09), op('Add', 0.03)],
        nodes: [
          node('q_proj', 'QLinearMatMul', 0.09),
          node('c1', 'QLinearConv', 0.09),
          node('res', 'Add', 0.03),
        ],
      },
      int8: fast,
      variantOperation: 'quantize' as const,
      variantMethod: 'int8-static',
    });
    expect(twoKernels.slowerKernels.map((k) => k.nodes)).toEqual([['q_proj'], ['c1']]);
    const advice = twoKernels.advice.join(' ');
    expect(advice).not.toMatch(/--exclude-nodes|Keep it in float/);
    expect(advice).toMatch(/int8-static does not pay off on this model on this machine/);
  });

  it('never tells to keep in float every node the method quantized: it says the method does not pay off here', () => {
    const advice = explainProfiles(dynamicBlock).advice[1]!;
    expect(advice).not.toMatch(/--exclude-nodes|--op-types|Keep it in float/);
    expect(advice).toMatch(
      /those are all the nodes int8-dynamic runs in int8 here: keeping them in float would leave nothing quantized, the original again\. int8-dynamic does not pay off on this model on this machine: try int8-static/i,
    );
    expect(advice).toMatch(/tune's size objective/);
    // Without a recipe, the kernels tell int8-dynamic.
    const { variantMethod: _, variantOperation: __, ...unrecorded } = dynamicBlock;
    expect(explainProfiles(unrecorded).advice[1]).toMatch(/int8-dynamic does not pay off .* try int8-static/);
    // By op type too: the only int8 kernels of the variant stand for the one float op.
    const byOpType = explainProfiles({
      original: { p50Ms: 2, byOpType: [op('Conv', 1), op('Relu', 0.2)] },
      variant: { p50Ms: 4, byOpType: [op('QLinearConv', 3), op('QuantizeLinear', 0.2)] },
      int8: fast,
    }).advice.join('\n');
    expect(byOpType).toMatch(/its QLinearConv kernels are all that the quantizer runs in int8 here/i);
    expect(byOpType).not.toMatch(/--op-types listing/);
  });

  it('says an int8-weight MatMul onnxruntime fused into MatMulNBits runs in int8, activations included', () => {
    const e = explainProfiles({
      original: {
        p50Ms: 0.5,
        byOpType: [op('MatMul', 0.2), op('Gemm', 0.2), op('Relu', 0.1)],
        nodes: [node('mm2', 'MatMul', 0.2), node('mm1', 'Gemm', 0.2)],
      },
      variant: {
        p50Ms: 0.8,
        byOpType: [op('MatMulNBits', 0.5), op('Gemm', 0.2), op('Relu', 0.1)],
        nodes: [node('mm2', 'MatMulNBits', 0.5), node('mm1', 'Gemm', 0.2)],
      },
      int8: fast,
      variantOperation: 'quantize',
      variantMethod: 'int8-weight',
    });
    const advice = e.advice.join('\n');
    expect(advice).toMatch(/MatMulNBits runs in int8 \('mm2'\)/);
    expect(advice).not.toMatch(/int4/);
    expect(advice).toMatch(/fused DequantizeLinear and MatMul into MatMulNBits \(8-bit weights\)/);
    expect(advice).toMatch(/quantizes the activations to int8 per block/);
    expect(advice).not.toMatch(/activations and every other op compute in float/);
  });

  it("weighs an int4 MatMul against the Gemm onnxruntime fused the original's MatMul and bias into", () => {
    const e = explainProfiles({
      original: {
        p50Ms: 1,
        byOpType: [op('Gemm', 0.8), op('Relu', 0.1)],
        nodes: [node('fc1/MatMulAddFusion', 'Gemm', 0.5), node('fc2/MatMulAddFusion', 'Gemm', 0.3)],
      },
      variant: {
        p50Ms: 0.9,
        byOpType: [op('MatMulNBits', 0.7), op('Add', 0.05), op('Relu', 0.1)],
        nodes: [node('fc1_Q4', 'MatMulNBits', 0.4), node('fc2_Q4', 'MatMulNBits', 0.3)],
      },
      int8: fast,
      variantOperation: 'quantize',
      variantMethod: 'int4',
    });
    // 0.7 ms of int4 kernels against 0.8 ms of fused Gemm: not slower, so not named (it was: 0.7 against 0).
    expect(e.slowerKernels).toEqual([]);
  });
});
