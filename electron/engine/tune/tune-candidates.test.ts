import { describe, expect, it } from 'vitest';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { appTuneSetting } from '../../../shared/tune.js';
import { cliTuneSetting } from '../../cli/commands/tune-print.js';
import { tuneCandidates } from './tune-candidates.js';

const convNet = { opCounts: { Conv: 9, Relu: 9, Gemm: 1 } };
const reasons = (plan: ReturnType<typeof tuneCandidates>) =>
  Object.fromEntries(plan.skipped.map((s) => [s.name, s.why]));

describe('tuneCandidates', () => {
  it('names the option that brings back a recipe left out as the reader sees it: the CLI flag or the app label', () => {
    const options = tuneOptionsSchema.parse({ maxAccuracyDrop: 0.5 });
    const cli = reasons(tuneCandidates(convNet, options, cliTuneSetting));
    expect(cli.fp16).toContain('(try --objective size)');
    expect(cli['structured pruning']).toMatch(/^not without --allow-pruning /);
    const app = reasons(tuneCandidates(convNet, options, appTuneSetting));
    expect(app.fp16).toContain('(try Objective: size)');
    expect(app['structured pruning']).toMatch(/^not without Allow pruning /);
    expect(Object.values(app).join(' ')).not.toContain('--');
  });

  it('tries fp16 and pruning once the options ask for them, and leaves nothing out for them', () => {
    const options = tuneOptionsSchema.parse({ maxAccuracyDrop: 0.5, objective: 'size', allowPruning: true });
    const plan = tuneCandidates(convNet, options, appTuneSetting);
    expect(reasons(plan).fp16).toBeUndefined();
    expect(reasons(plan)['structured pruning']).toBeUndefined();
    expect(plan.candidates.map((c) => c.name)).toEqual(expect.arrayContaining(['fp16', 'structured 10%']));
  });

  it('leaves int8-static out when every MatMul is inside an If/Loop body, and keeps the methods that reach them', () => {
    const options = tuneOptionsSchema.parse({ minCosine: 0.999, objective: 'size' });
    const inBodies = { opCounts: { If: 1, Loop: 1, Relu: 1 }, subgraphOpCounts: { MatMul: 3, Add: 2 } };
    const plan = tuneCandidates(inBodies, options, cliTuneSetting);
    expect(reasons(plan)['int8-static']).toBe(
      "the model's Conv, MatMul and Gemm nodes are all inside If/Loop bodies, which it leaves in float",
    );
    expect(plan.candidates.map((c) => c.name).sort()).toEqual([
      'fp16',
      'int4',
      'int8-dynamic',
      'int8-weight',
    ]);
    // One MatMul in the main graph is enough for int8-static to have work.
    const mixed = tuneCandidates(
      { ...inBodies, opCounts: { ...inBodies.opCounts, MatMul: 1 } },
      options,
      cliTuneSetting,
    );
    expect(mixed.candidates.map((c) => c.name)).toContain('int8-static percentile per-channel');
  });

  it('tries int8-weight for size, before the other int8 formats, and says why not for latency', () => {
    // A user test: an encoder's size search chose fp16 at 0.535x where int8-weight, never tried, gave 0.291x
    // within the budget (it also shrinks the embedding tables that int8-static and int8-dynamic leave float).
    const encoder = { opCounts: { Gather: 3, MatMul: 8, Add: 9, Softmax: 2 } };
    const size = tuneCandidates(
      encoder,
      tuneOptionsSchema.parse({ minCosine: 0.999, objective: 'size' }),
      cliTuneSetting,
    );
    const names = size.candidates.map((c) => c.name);
    expect(names).toContain('int8-weight');
    expect(reasons(size)['int8-weight']).toBeUndefined();
    expect(names.indexOf('int8-weight')).toBeLessThan(names.indexOf('int8-static percentile per-channel'));
    expect(names.indexOf('int8-weight')).toBeLessThan(names.indexOf('fp16'));
    expect(size.candidates.find((c) => c.name === 'int8-weight')!.recipe).toEqual({
      kind: 'quantize',
      method: 'int8-weight',
      common: {},
      options: {},
    });
    // A conv net's weights shrink as well.
    const convSize = tuneCandidates(
      convNet,
      tuneOptionsSchema.parse({ minCosine: 0.999, objective: 'size' }),
      appTuneSetting,
    );
    expect(convSize.candidates.map((c) => c.name)).toContain('int8-weight');

    // Dequantized as the model runs, it is not faster: left out of a latency search, saying how to get it.
    const latency = tuneOptionsSchema.parse({ minCosine: 0.999 });
    expect(tuneCandidates(encoder, latency, cliTuneSetting).candidates.map((c) => c.name)).not.toContain(
      'int8-weight',
    );
    expect(reasons(tuneCandidates(encoder, latency, cliTuneSetting))['int8-weight']).toMatch(
      /not faster \(try --objective size\)$/,
    );
    expect(reasons(tuneCandidates(encoder, latency, appTuneSetting))['int8-weight']).toMatch(
      /\(try Objective: size\)$/,
    );

    // Nothing to quantize: said so.
    const none = tuneCandidates(
      { opCounts: { Relu: 2, Add: 1 } },
      tuneOptionsSchema.parse({ minCosine: 0.999, objective: 'size' }),
      cliTuneSetting,
    );
    expect(reasons(none)['int8-weight']).toBe(
      'it quantizes the weights of Conv, MatMul, Gemm and Gather only, and the model has none',
    );
  });

  it('tries int4 on a model with Gather tables and no MatMul (it stores them as GatherBlockQuantized), and says why not', () => {
    const options = tuneOptionsSchema.parse({ minCosine: 0.999, objective: 'size' });
    const tablesOnly = tuneCandidates({ opCounts: { Gather: 2, Add: 1 } }, options, cliTuneSetting);
    expect(tablesOnly.candidates.map((c) => c.name)).toContain('int4');
    expect(reasons(tablesOnly).int4).toBeUndefined();
    expect(reasons(tuneCandidates({ opCounts: { Relu: 2, Add: 1 } }, options, cliTuneSetting)).int4).toBe(
      'it packs MatMul and Gemm weights and Gather tables only, and the model has none',
    );
    expect(reasons(tuneCandidates(convNet, options, cliTuneSetting)).int4).toBe(
      'it packs MatMul and Gemm weights and Gather tables only and leaves the convolutions in float32',
    );
  });
});
