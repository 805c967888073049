import { describe, expect, it } from 'vitest';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { appTuneSetting } from '../../../shared/tune.js';
import { cliTuneSetting } from '../../cli/commands/tune-print.js';
import { tuneCandidates } from './tune-candidates.js';

const convNet = { Conv: 9, Relu: 9, Gemm: 1 };
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
});
