/**
 * What `onnx-studio explain` needs of its two models besides their profiles, read from the copies the benchmark
 * loads anyway (BenchParams.explain): on a multi-GB model a second load in the CLI's process doubled the memory
 * and added its time. The engine process imports this only for explain's benchmark.
 */
import type { BenchExplainFacts } from '../../../shared/bench.js';
import { diffModelProtos, unrelatedNote } from '../diff/diff-models.js';
import { summarizeModel } from '../inspect/inspect-model.js';
import type { LoadedModel } from '../onnx/load-model.js';
import { keptFloatByOptions, recordedQuantizeMethod } from '../quantize/kept-float.js';

export function explainFacts(original: LoadedModel, variant: LoadedModel): BenchExplainFacts {
  // diff's check: advice on a compression of a model the variant was not made from would be made up.
  const { match } = diffModelProtos(
    original.proto,
    variant.proto,
    { original: original.path, variant: variant.path },
    // Counting zeros decodes every changed weight: the match needs none of it.
    { zeroCounts: false },
  );
  const unrelated = match?.unrelated
    ? unrelatedNote(match, 'explain gives their times but no advice on a compression.')
    : undefined;
  // The quantize report is not at hand here: the nodes the variant's recorded options kept float stand for it.
  const skippedNodes = keptFloatByOptions(variant.proto);
  const variantMethod = recordedQuantizeMethod(variant.proto);
  return {
    ...(unrelated ? { unrelated } : {}),
    ...(skippedNodes ? { skippedNodes } : {}),
    ...(variantMethod ? { variantMethod } : {}),
    variantOpCounts: summarizeModel(variant).opCounts,
  };
}
