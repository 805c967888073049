/**
 * The explain panel as the page renders it (server-side, no DOM): the int8 line, the ops table and the option
 * names in the advice, for an fp16 and an int8-static variant as the reviewer's screenshots had them.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { OpTypeTime } from '../../../shared/bench.js';
import type { Int8Support } from '../../../shared/explain.js';
import { buildMethodCatalog } from '../../../shared/options/method-catalog.js';
import type { WorkspaceVariant } from '../../../shared/workspace.js';
import { variant as workspaceVariant } from '../state/test-fixtures.js';
import type { Variant } from '../state/variants.js';
import { ExplainPanel, optionLabelsOf } from './explain-panel.js';

const INT8: Int8Support = {
  instructions: ['AVX-512 VNNI', 'AVX-VNNI', 'AMX-INT8'],
  fast: true,
  source: '/proc/cpuinfo',
};
const CATALOG = buildMethodCatalog();
const op = (opType: string, ms: number): OpTypeTime => ({ opType, ms, pct: 0 });

function profiled(
  id: string,
  byOpType: OpTypeTime[],
  p50Ms: number,
  recipe?: Variant['recipe'],
  originalP50Ms?: number,
): Variant {
  return {
    id,
    label: id,
    path: `/ws/${id}.onnx`,
    isOriginal: id === 'original',
    latency:
      originalP50Ms === undefined
        ? {}
        : {
            'onnxruntime-node/cpu': {
              engine: 'onnxruntime-node',
              provider: 'cpu',
              label: 'onnxruntime-node cpu',
              samples: [],
              final: true,
              stats: {
                iterations: 100,
                meanMs: p50Ms,
                stdMs: 0,
                minMs: p50Ms,
                p50Ms,
                p90Ms: p50Ms,
                p95Ms: p50Ms,
                p99Ms: p50Ms,
                maxMs: p50Ms,
              },
              sameRunOriginalP50Ms: originalP50Ms,
            },
          },
    profile: { byOpType, topNodes: [], runs: 100 },
    ...(recipe ? { recipe } : {}),
  };
}

/** The panel's text, tags stripped, spaces collapsed. */
function render(variants: Variant[], workspaceVariants?: WorkspaceVariant[]): { html: string; text: string } {
  const html = renderToStaticMarkup(
    <ExplainPanel
      variants={variants}
      int8={INT8}
      catalog={CATALOG}
      {...(workspaceVariants ? { workspaceVariants } : {})}
    />,
  );
  const text = html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
  return { html, text };
}

const originalOps = [op('Loop', 0.148), op('If', 0.031), op('MatMul', 0.051), op('Tanh', 0.026)];

describe('ExplainPanel', () => {
  it('shows an fp16 variant its slowest ops, without int8 instructions, and its ratio once', () => {
    const { html, text } = render([
      profiled('original', originalOps, 0.337),
      profiled(
        'fp16',
        [op('Loop', 0.23), op('If', 0.076), op('MatMul', 0.047), op('Tanh', 0.025), op('Cast', 0.1)],
        0.496,
        { operation: 'quantize', method: 'fp16', common: {}, options: {} },
        0.337,
      ),
    ]);
    expect(html).toMatch(/<caption[^>]*>Slowest ops of fp16<\/caption>/);
    // Whose profiles these are, whichever engine the latency chart shows.
    expect(text).toContain("Kernel time from onnxruntime-node's operator profiles");
    expect(text).not.toMatch(/left in float/);
    expect(text).not.toMatch(/int8 dot-product instructions|AVX/);
    // The header's ratio, and one advice that says it.
    const advice = /<ul class="explain-advice"[^>]*>(.*?)<\/ul>/.exec(html)![1]!;
    expect(advice.match(/1\.47x/g)).toEqual(['1.47x']);
    // The table's rows: every op type of the variant, the Casts too, slowest first.
    expect([...html.matchAll(/<tr><td>([A-Za-z]+)<\/td>/g)].map((m) => m[1])).toEqual([
      'Loop',
      'Cast',
      'If',
      'MatMul',
      'Tanh',
    ]);
  });

  it("says the run's verdict beside the ratio, as Compare's table does (fp16 at 0.90x within noise)", () => {
    // Samples spread ±25% around each median: 0.90x is inside that run's noise.
    const spread = (p50: number) => Array.from({ length: 100 }, (_, i) => p50 * (0.75 + (0.5 * i) / 99));
    const fp16 = profiled(
      'fp16',
      [op('Loop', 0.13), op('If', 0.03), op('MatMul', 0.05), op('Tanh', 0.02), op('Cast', 0.05)],
      0.9,
      { operation: 'quantize', method: 'fp16', common: {}, options: {} },
      1,
    );
    const m = fp16.latency['onnxruntime-node/cpu']!;
    fp16.latency['onnxruntime-node/cpu'] = {
      ...m,
      samples: spread(0.9),
      stats: { ...m.stats!, p90Ms: 0.9 * 1.2 },
      sameRunOriginal: { iterations: 100, p50Ms: 1, p90Ms: 1.2, samples: spread(1) },
    };
    const { text } = render([profiled('original', originalOps, 1), fp16]);
    expect(text).toContain("0.90x , within the run's noise).");
    expect(text).toContain(
      "The variant runs at 0.90x of the original's p50, within the run's noise: it is not measurably faster on this machine.",
    );
    expect(text).not.toContain('this run is at 0.90x');
  });

  it("shows an int8-static variant its float ops, the CPU's int8 instructions once, and options by their form labels", () => {
    const report = workspaceVariant('int8-static', 'int8-static', 1000);
    const reported: WorkspaceVariant = {
      ...report,
      report: {
        ...(report.report as Extract<WorkspaceVariant['report'], { skippedNodes: unknown }>),
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
      },
    };
    const { html, text } = render(
      [
        profiled('original', [op('Conv', 0.398), op('ReduceMean', 0.016)], 0.507),
        profiled(
          'int8-static',
          [op('QLinearConv', 0.14), op('Conv', 0.049), op('ReduceMean', 0.013), op('QuantizeLinear', 0.05)],
          0.411,
          { operation: 'quantize', method: 'int8-static', common: {}, options: {} },
          0.507,
        ),
      ],
      [reported],
    );
    expect(html).toMatch(/<caption[^>]*>Ops left in float in int8-static<\/caption>/);
    expect(text).toMatch(
      /int8 dot-product instructions: AVX-512 VNNI, AVX-VNNI, AMX-INT8 \(\/proc\/cpuinfo\)/,
    );
    expect(text.match(/AMX-INT8/g)).toHaveLength(1);
    // The option as the Optimize form labels it, read from the catalog.
    const label = CATALOG.quantize.methods
      .find((m) => m.name === 'int8-static')!
      .fields.find((f) => f.flag === 'quantize-input-conv')!.label;
    expect(text).toContain(`(the "${label}" option quantizes it anyway)`);
    expect(text).not.toMatch(/--quantize-input-conv/);
    expect(text).toMatch(/stays float: it reads the model's float input with 3 channels; onnxruntime's/);
  });

  it('tells a structured-pruned variant of the odd channel counts its prune report lists, by the "Round to" label', () => {
    const pruned: WorkspaceVariant = {
      ...workspaceVariant('structured', 'structured', 700),
      recipe: { operation: 'prune', method: 'structured', common: { sparsity: 0.2 }, options: {} },
      report: {
        output: '/ws/structured.onnx',
        method: 'structured',
        targetSparsity: 0.2,
        achievedSparsity: 0.19,
        prunedNodes: 4,
        removedChannels: 9,
        inputBytes: 1000,
        outputBytes: 700,
        layers: [
          {
            name: 'Conv(conv1.out)',
            opType: 'Conv',
            unit: 'channels',
            total: 16,
            removed: 3,
            sparsity: 0.19,
          },
          {
            name: 'Conv(conv2.out)',
            opType: 'Conv',
            unit: 'channels',
            total: 32,
            removed: 6,
            sparsity: 0.19,
          },
        ],
        skipped: [],
        parameters: { before: 5440, after: 3728 },
        seconds: 0.1,
        notes: [],
      },
    };
    const { text } = render(
      [
        profiled('original', [op('Conv', 0.3), op('ReorderOutput', 0.03), op('ReduceMean', 0.02)], 0.4),
        profiled(
          'structured',
          [op('Conv', 0.28), op('ReorderOutput', 0.23), op('ReduceMean', 0.02)],
          0.58,
          pruned.recipe,
          0.4,
        ),
      ],
      [pruned],
    );
    const label = CATALOG.prune.methods
      .find((m) => m.name === 'structured')!
      .fields.find((f) => f.flag === 'round-to')!.label;
    expect(text).toMatch(/channel counts that are not a multiple of 8 \(13 and 26\)/);
    expect(text).toContain(`Prune again with the "${label}" option at 8`);
    expect(text).not.toMatch(/--round-to|set to zero|prune whole channels/);
  });

  it('says an fp16 variant of a float16 model left the size as it was, from the two sizes', () => {
    const fp16 = { operation: 'quantize' as const, method: 'fp16', common: {}, options: {} };
    const original = { ...profiled('original', [op('MatMul', 0.4)], 1), bytes: 1000 };
    const variant = { ...profiled('fp16', [op('MatMul', 0.4), op('Cast', 0.1)], 1.2, fp16, 1), bytes: 1001 };
    const { text } = render([original, variant]);
    expect(text).toMatch(/fp16 left the size as it was \(x1\.00 of the original's\)/);
    expect(text).not.toMatch(/halves the weights/);
  });

  it("maps each option's flag to its form label from the catalog", () => {
    const labels = optionLabelsOf(CATALOG);
    expect(labels.get('--quantize-input-conv')).toBe('Quantize input conv');
    expect(labels.get('--exclude-nodes')).toBe('Exclude nodes');
  });
});
