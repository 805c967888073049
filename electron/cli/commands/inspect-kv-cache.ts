import { type KvCacheFacts, kvCacheFacts, kvCacheLabel } from '../../../shared/kv-cache-facts.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { shellQuote } from '../../../shared/shell-quote.js';

/*
 * inspect on a decoder exported with a KV cache (Optimum's decoder_with_past / merged decoder): what the cache
 * inputs are, the past length and what every command guesses for it (input-spec.ts: 0, the first step), the dims
 * sized as sums of it, and the flags that time one decode step instead. Said in a few lines above the tables,
 * from the facts inspect --json's `kvCache` and the app's Model view say (shared/kv-cache-facts.ts).
 */

/** Where the text's first column ends: the label and its padding, as inspect's other header lines. */
const INDENT = ' '.repeat(12);

/**
 * The lines, or none for a model without a KV cache. `KV cache    8 cache inputs (past_key_values.0..3.key/value):
 * a decoder; past length past_sequence_length, guessed 0 (a first step, nothing cached)`, the sums and the cache
 * switch, and `One decode step: onnx-studio bench MODEL --dim past_sequence_length=128 --dim sequence_length=1`.
 */
export function kvCacheLines(model: string, inputs: readonly TensorSummary[]): string[] {
  const facts = kvCacheFacts(inputs);
  return facts ? factLines(model, facts) : [];
}

function factLines(model: string, facts: KvCacheFacts): string[] {
  const past = facts.pastLength;
  const lines = [
    `KV cache    decoder, ${facts.cacheInputs} cache input${facts.cacheInputs === 1 ? '' : 's'} (${kvCacheLabel(facts)}); ` +
      (past
        ? `past length ${past.dim ?? `dim ${past.axis} (unnamed)`}, guessed ${past.guess} (first step)`
        : "no dim reads as the past length: give the cache inputs' shapes with --shape"),
  ];
  const said = [
    ...facts.sumDims.map((s) => {
      // A total length (`total_sequence_length`) says what it adds up: a sum's name says it already.
      const terms = s.terms.join(' + ');
      return `${s.input}: ${s.dim}${s.dim === terms ? '' : ` (${terms})`} sized as the sum, guessed ${s.guess}`;
    }),
    ...(facts.cacheSwitch ? [`${facts.cacheSwitch} follows the past (off at 0)`] : []),
  ];
  if (said.length > 0) lines.push(`${INDENT}${said.join('; ')}`);
  if (facts.decodeStep)
    lines.push(
      `${INDENT}One decode step: onnx-studio bench ${shellQuote(model)} ` +
        Object.entries(facts.decodeStep)
          .map(([dim, size]) => `--dim ${dim}=${size}`)
          .join(' '),
    );
  return lines;
}
