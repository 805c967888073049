/**
 * What a browser benchmark's record says it fed. Without it, Compare cannot tell that a browser latency was
 * measured at other shapes than the input spec gives now (compare-data.ts `offSpecShapes`), so none was ever
 * flagged.
 */
import { sameShapes } from '../../../shared/latency-stats.js';
import type { FedInput } from '../../../shared/workspace.js';
import type { WebBenchModelResult } from '../webbench/ort-web-bench.js';

/**
 * The inputs the page fed, as the record's `inputs`: the concrete shapes the worker made the feeds with (the
 * input spec's, else open dims as 1), which is what was timed, whatever the spec says by the time it is read.
 * A record has one set of inputs for all its targets (as the engine's does), so when the models were fed
 * different shapes it records none rather than the first model's, which would misdate the others.
 */
export function webBenchInputs(report: {
  results: readonly Pick<WebBenchModelResult, 'inputs'>[];
}): { inputs: FedInput[] } | undefined {
  const [first, ...rest] = report.results;
  if (!first || first.inputs.length === 0) return undefined;
  // sameShapes treats a missing side as the same; here both sides are recorded.
  if (rest.some((r) => !sameShapes(r.inputs, first.inputs))) return undefined;
  return { inputs: first.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] })) };
}
