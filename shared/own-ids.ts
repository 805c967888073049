/*
 * Whether a model can be measured on its own token ids (eval's next-token task, electron/engine/evaluate/next-token.ts)
 * and so needs no labels: a language model whose integer input looks up a table of V rows beside an output scoring
 * V ids at each position. Read from the model summary (inspect) where no sample has run yet: the app's buttons,
 * tune's and a recipe's checks before any trial. The engine decides for good on the first sample, and its report
 * says what it read. Zod-free: the renderer imports it.
 */
import { datasetLacksLabels } from './dataset-labels.js';

interface SummaryTensor {
  dtype: string;
  shape: readonly (number | string | null)[];
  indexes?: { rows: number };
}

/** An integer input looking up a table of V rows, and an output of one more axis whose last is V. */
export function gradesOwnIds(model: {
  inputs: readonly SummaryTensor[];
  outputs: readonly SummaryTensor[];
}): boolean {
  return model.inputs.some(
    (input) =>
      input.indexes !== undefined &&
      model.outputs.some(
        (output) =>
          output.shape.length === input.shape.length + 1 && output.shape.at(-1) === input.indexes!.rows,
      ),
  );
}

/** Whether eval grades the model on this data's own ids: real data (synthetic ids are random) and a language model. */
export function ownIdsGraded(
  spec: { kind: string },
  model: Parameters<typeof gradesOwnIds>[0] | undefined,
): boolean {
  return spec.kind !== 'synthetic' && model !== undefined && gradesOwnIds(model);
}

/**
 * True when the data gives nothing to measure a model with by itself (without a reference): it certainly has no
 * labels, and eval does not grade the model on its own ids (ownIdsGraded). `model` undefined (not inspected yet)
 * counts as no language model.
 */
export function measuresNothingAlone(
  spec: { kind: string; labels?: unknown },
  model: Parameters<typeof gradesOwnIds>[0] | undefined,
): boolean {
  return datasetLacksLabels(spec) && !ownIdsGraded(spec, model);
}

/**
 * Whether next-token figures describe a model that echoes its input rather than predicting: it ranks the position's
 * own id first at half the positions or more, and at over twice the share it ranks the next id first. A masked LM
 * (BERT fill-mask) or an autoencoder does; next-token accuracy then says nothing, and a budget on it cannot be broken.
 */
export function echoesOwnIds(figures: { accuracy: number; ownIdShare?: number }): boolean {
  const own = figures.ownIdShare ?? 0;
  return own >= 0.5 && own > 2 * figures.accuracy;
}
