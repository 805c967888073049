/**
 * "Why is it not faster?" in Compare: for a profiled variant, its kernel time split into int8 kernels, float ops,
 * Q/DQ conversions and layout reorders beside the original's, the ops that stayed float (for an fp16 or a pruned
 * variant, which has no int8 kernels to stay out of, its slowest ops), and the advice (shared/explain.ts, the same
 * rules as `onnx-studio explain`, naming options by their labels in the Optimize form rather than by their flags).
 * It needs operator profiles of the original and the variant: a benchmark with "Profile operators" on.
 */
import { useContext, useEffect, useMemo, useState } from 'react';
import { explainProfiles, speedWords, type Int8Support, type KernelKind } from '../../../shared/explain.js';
import { unalignedConvsOf } from '../../../shared/explain-prune.js';
import type { MethodCatalog } from '../../../shared/method-catalog-types.js';
import type { WorkspaceVariant } from '../../../shared/workspace.js';
import { HostContext } from '../host/host-context.js';
import type { Variant } from '../state/variants.js';
import { sameRunNoise } from '../state/compare-data.js';

const KIND_LABELS: Record<KernelKind, string> = {
  quantized: 'int8/int4 work',
  float: 'float ops',
  conversion: 'Q/DQ and added Casts',
  layout: 'layout reorders',
};

function KindBar({ label, shares }: { label: string; shares: { kind: KernelKind; pct: number }[] }) {
  return (
    <div className="explain-bar-row">
      <span className="explain-bar-label">{label}</span>
      <div
        className="explain-bar"
        role="img"
        aria-label={`${label}: ${shares.map((s) => `${KIND_LABELS[s.kind]} ${s.pct.toFixed(0)}%`).join(', ')}`}
      >
        {shares
          .filter((s) => s.pct > 0)
          .map((s) => (
            <span
              key={s.kind}
              className={`explain-seg explain-${s.kind}`}
              style={{ width: `${s.pct}%` }}
              title={`${KIND_LABELS[s.kind]}: ${s.pct.toFixed(1)}%`}
            />
          ))}
      </div>
    </div>
  );
}

/**
 * Each option's label in the Optimize form by its flag as the quantize report names it (`--quantize-input-conv`
 * → `Quantize input conv`): both come from the option's declaration, through the method catalog.
 */
export function optionLabelsOf(catalog: MethodCatalog): Map<string, string> {
  const labels = new Map<string, string>();
  for (const family of [catalog.quantize, catalog.prune])
    for (const field of [...family.commonFields, ...family.methods.flatMap((m) => m.fields)])
      if (field.flag && !labels.has(`--${field.flag}`)) labels.set(`--${field.flag}`, field.label);
  return labels;
}

/** The method catalog from the host (or as given: tests), for the options' labels. */
function useCatalog(given: MethodCatalog | undefined): MethodCatalog | undefined {
  const host = useContext(HostContext)?.host;
  const [loaded, setLoaded] = useState<MethodCatalog | undefined>(undefined);
  useEffect(() => {
    if (given || !host) return;
    let live = true;
    void host.listMethods().then((r) => {
      if (live && r.ok) setLoaded(r.value);
    });
    return () => {
      live = false;
    };
  }, [given, host]);
  return given ?? loaded;
}

export function ExplainPanel({
  variants,
  int8,
  workspaceVariants,
  catalog: givenCatalog,
}: {
  variants: readonly Variant[];
  int8: Int8Support | undefined;
  /** The workspace's records of the variants: their quantize reports say which nodes stayed float, and why. */
  workspaceVariants?: readonly WorkspaceVariant[];
  /** The method catalog; without it the panel asks the host for it. */
  catalog?: MethodCatalog;
}) {
  const catalog = useCatalog(givenCatalog);
  const optionLabels = useMemo(() => (catalog ? optionLabelsOf(catalog) : undefined), [catalog]);
  const original = variants.find((v) => v.isOriginal);
  const profiled = variants.filter((v) => !v.isOriginal && v.profile);
  const [chosenId, setChosenId] = useState<string | undefined>(undefined);
  const variant = profiled.find((v) => v.id === chosenId) ?? profiled[0];
  const explanation = useMemo(() => {
    if (!original?.profile || !variant?.profile) return undefined;
    const latency = Object.values(variant.latency).find(
      (m) => m.engine === 'onnxruntime-node' && m.sameRunOriginalP50Ms !== undefined,
    );
    const p50 = latency?.stats?.p50Ms;
    // The run's verdict on the ratio, as Compare's table says it: a bare 0.90x read as fp16 being faster on a CPU.
    const noise = sameRunNoise(latency);
    const originalP50 = latency?.sameRunOriginalP50Ms;
    if (p50 === undefined || originalP50 === undefined) return undefined;
    const report = workspaceVariants?.find((w) => w.id === variant.id)?.report;
    const recipe = variant.recipe;
    // The channel counts a structured prune left, from its report's layers (what --round-to would have aligned).
    const unalignedConvs =
      recipe?.operation === 'prune' && recipe.method === 'structured' && report && 'layers' in report
        ? unalignedConvsOf(report.layers)
        : undefined;
    // The variant's size over the original's: what fp16 (or a weight-only quantizer) did to it.
    const sizeRatio =
      variant.bytes !== undefined && original.bytes ? variant.bytes / original.bytes : undefined;
    return explainProfiles({
      // The per-node times tell the Casts the variant added (conversions) from the model's own (float).
      original: { p50Ms: originalP50, byOpType: original.profile.byOpType, nodes: original.profile.nodes },
      variant: { p50Ms: p50, byOpType: variant.profile.byOpType, nodes: variant.profile.nodes },
      int8: int8 ?? { instructions: [], fast: true, source: 'unknown: the host did not say' },
      // A pruned variant runs float kernels only: its advice is about pruning, not about what stayed in float.
      // Its method decides the advice: structured pruning is not magnitude pruning, int4 not int8-static.
      ...(recipe ? { variantOperation: recipe.operation, variantMethod: recipe.method } : {}),
      ...(unalignedConvs ? { unalignedConvs } : {}),
      ...(sizeRatio !== undefined ? { sizeRatio } : {}),
      // The quantizer's reasons name what kept the float ops float (an option such as --quantize-input-conv):
      // here by its label in the Optimize form (and --round-to as the prune form's "Round to").
      ...(report && 'skippedNodes' in report ? { skippedNodes: report.skippedNodes } : {}),
      ...(optionLabels ? { optionLabels } : {}),
      ...(noise ? { speed: { verdict: noise.verdict, unreliable: noise.unreliable } } : {}),
    });
  }, [original, variant, int8, workspaceVariants, optionLabels]);
  // The int8 instructions and the ops "left in float" only mean something for a variant with int8 kernels.
  const int8Variant = explanation?.variantPrecision === 'int8';
  const tableOps = int8Variant ? explanation?.floatOps : explanation?.slowestOps;
  if (!original || profiled.length === 0) return null;
  return (
    <section className="explain-panel chart-card" data-testid="explain-panel" aria-labelledby="explain-title">
      <div className="chart-header">
        <div>
          <h3 id="explain-title">Why is it (not) faster?</h3>
          <p className="chart-subtitle muted">
            Kernel time from onnxruntime-node's operator profiles of one interleaved benchmark on this machine
            (the same rules as <code>onnx-studio explain</code>), whichever engine the latency chart shows.
          </p>
        </div>
        {profiled.length > 1 && (
          <label className="inline-select">
            <span className="visually-hidden">Variant to explain</span>
            <select
              value={variant?.id}
              onChange={(e) => setChosenId(e.target.value)}
              aria-label="Variant to explain"
            >
              {profiled.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {!explanation ? (
        <p className="muted">
          Benchmark the original and {variant?.label ?? 'a variant'} together with "Profile operators" on to
          see where the time goes.
        </p>
      ) : (
        <>
          <p>
            {variant!.label}: p50 {explanation.variant.p50Ms.toFixed(3)} ms against{' '}
            {explanation.original.p50Ms.toFixed(3)} ms (<strong>{explanation.p50Ratio.toFixed(2)}x</strong>
            {explanation.speed ? `, ${speedWords(explanation.speed)}` : ''}).
            {int8Variant && (
              <>
                {' '}
                int8 dot-product instructions:{' '}
                {explanation.int8.instructions.length > 0
                  ? explanation.int8.instructions.join(', ')
                  : 'none found'}{' '}
                <span className="muted">({explanation.int8.source})</span>.
              </>
            )}
          </p>
          <KindBar label="original" shares={explanation.original.byKind} />
          <KindBar label={variant!.label} shares={explanation.variant.byKind} />
          <ul className="explain-legend">
            {(Object.keys(KIND_LABELS) as KernelKind[]).map((k) => (
              <li key={k}>
                <span className={`chart-swatch explain-${k}`} /> {KIND_LABELS[k]}
              </li>
            ))}
          </ul>
          <h4>What to do</h4>
          <ul className="explain-advice" data-testid="explain-advice">
            {explanation.advice.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
          {tableOps && tableOps.length > 0 && (
            <table className="explain-table">
              <caption className="muted">
                {int8Variant ? `Ops left in float in ${variant!.label}` : `Slowest ops of ${variant!.label}`}
              </caption>
              <thead>
                <tr>
                  <th>Op</th>
                  <th>ms per run</th>
                  <th>Share</th>
                  <th>In the original</th>
                </tr>
              </thead>
              <tbody>
                {tableOps.slice(0, 6).map((o) => (
                  <tr key={o.opType}>
                    <td>{o.opType}</td>
                    <td>{o.ms.toFixed(3)}</td>
                    <td>{o.pct.toFixed(1)}%</td>
                    <td>{o.originalMs !== undefined ? `${o.originalMs.toFixed(3)} ms` : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
