/**
 * A variant's notes are shown from its report in the workspace (a user test lost every quantizer and pruner
 * note on reload: they lived in job rows only), with the pruner's "left alone" list that its note promises.
 * The reports are those a user test's workspace.json holds.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PruneReportInfo, QuantizeReportInfo } from '../../../shared/job-reports.js';
import { VariantNotes } from './variant-notes.js';

const prune: PruneReportInfo = {
  output: '/w/v.onnx',
  method: 'structured',
  targetSparsity: 0.3,
  achievedSparsity: 0.25,
  prunedNodes: 6,
  removedChannels: 192,
  inputBytes: 4_980_000,
  outputBytes: 2_640_000,
  layers: [
    { name: '/f/f.0/f.0.0/Conv', opType: 'Conv', unit: 'channels', total: 64, removed: 16, sparsity: 0.25 },
    { name: '/f/f.1/f.1.0/Conv', opType: 'Conv', unit: 'channels', total: 128, removed: 32, sparsity: 0.25 },
  ],
  skipped: [
    {
      name: '/fc/fc.2/Gemm',
      opType: 'Gemm',
      reason: "its channels are the model output 'logits'",
      channels: 10,
      group: ['/fc/fc.2/Gemm'],
    },
  ],
  parameters: { before: 1_245_000, after: 660_000 },
  seconds: 0.4,
  notes: [
    "Bias compensation moved the constant output of 192 removed channel inputs into the next layers' biases.",
    '1 of 7 channel groups were left alone (listed with the reason).',
  ],
};

const fp16: QuantizeReportInfo = {
  output: '/w/f.onnx',
  method: 'fp16',
  inputBytes: 4_980_000,
  outputBytes: 2_490_000,
  quantizedNodes: 17,
  skippedNodes: [
    { name: 'softmax', opType: 'Softmax', reason: 'kept float32 for range', option: '--keep-op' },
  ],
  seconds: 0.1,
  notes: ['3 nonzero weight values are too small for float16 and became 0.'],
};

describe('a variant’s notes', () => {
  it('lists the pruner’s notes, the channels per layer and what it left alone with the reason', () => {
    const html = renderToStaticMarkup(<VariantNotes report={prune} />);
    expect(html).toContain('What the structured step reported');
    expect(html).toContain('1 of 7 channel groups were left alone (listed with the reason).');
    expect(html).toContain('Left alone by the pruner (1)');
    expect(html).toContain(
      '<code>/fc/fc.2/Gemm</code> (Gemm, 10 channels): its channels are the model output',
    );
    expect(html).toContain('2 layers, 48 of 192 channels removed');
    expect(html).toContain('128 → 96 channels');
  });

  it('lists a quantizer’s notes and the nodes it left in float', () => {
    const html = renderToStaticMarkup(<VariantNotes report={fp16} />);
    expect(html).toContain('3 nonzero weight values are too small for float16 and became 0.');
    expect(html).toContain('Nodes left in float (1)');
    expect(html).toContain('kept float32 for range (--keep-op)');
    // A reason that names its option already does not get it twice.
    const named = renderToStaticMarkup(
      <VariantNotes
        report={{
          ...fp16,
          skippedNodes: [
            {
              name: 'b1',
              opType: 'Conv',
              reason: '(--quantize-input-conv quantizes it anyway)',
              option: '--quantize-input-conv',
            },
          ],
        }}
      />,
    );
    expect(named.match(/--quantize-input-conv/g)).toHaveLength(1);
  });

  it('shows nothing for a report with nothing to say', () => {
    const html = renderToStaticMarkup(<VariantNotes report={{ ...fp16, notes: [], skippedNodes: [] }} />);
    expect(html).toBe('');
  });
});
