/**
 * The Graph view's table of changed nodes, as the page renders it (server-side, no DOM): a node the variant
 * computes in another precision is listed with what it computed in before, and a kept node onnxruntime upcast
 * from float16 to float32 says so (the rows are those of electron/engine/diff/upcast.test.ts, an fp16 CNN and
 * its int8-static variant).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff } from '../../../shared/model-diff.js';
import { DiffTable } from './diff-table.js';

const rows: NodeDiff[] = [
  {
    name: 'conv1',
    opType: 'Conv',
    change: 'kept',
    variantOpType: 'Conv',
    originalPrecision: 'float16',
    precision: 'float32',
    upcast: true,
  },
  {
    name: 'conv2',
    opType: 'Conv',
    change: 'kept',
    variantOpType: 'Conv',
    originalPrecision: 'float16',
    precision: 'int8',
  },
  // Left alone: float16 before and after (an fp16 original's node is no change for being float16).
  {
    name: 'head',
    opType: 'Softmax',
    change: 'kept',
    variantOpType: 'Softmax',
    originalPrecision: 'float16',
    precision: 'float16',
  },
  // The Cast to float32 that fp16 keeps before a float32 output: float32 before and after.
  {
    name: 'out_Cast',
    opType: 'Cast',
    change: 'kept',
    variantOpType: 'Cast',
    originalPrecision: 'float32',
    precision: 'float32',
  },
];

const diff = {
  original: '/m.fp16.onnx',
  variant: '/m.fp16.int8.onnx',
  nodes: {
    original: 4,
    variant: 4,
    originalWithSubgraphs: 4,
    variantWithSubgraphs: 4,
    byChange: { kept: 4, replaced: 0, fused: 0, removed: 0 },
    byPrecision: { float32: 2, float16: 1, int8: 1, int4: 0, other: 0 },
    upcast: 1,
    added: { quantizeDequantize: 0, casts: 0, other: {} },
    list: rows,
  },
  weights: { bytesBefore: 0, bytesAfter: 0, byChange: {}, list: [], addedCount: 0, addedBytes: 0 },
  skippedNodes: [],
} as unknown as VariantDiff;

describe('the diff table of an fp16 model against its int8-static variant', () => {
  it('lists the upcast and the quantized node with their precision before, and not the nodes left alone', () => {
    const html = renderToStaticMarkup(
      <DiffTable diff={diff} nodeIds={rows.map((_, i) => String(i))} onShow={() => {}} />,
    );
    expect(html).toContain('<td>Conv</td><td>kept, upcast</td><td>Conv</td><td>float16 → float32</td>');
    expect(html).toContain('<td>Conv</td><td>kept</td><td>Conv</td><td>float16 → int8</td>');
    expect(html).not.toContain('>head<');
    expect(html).not.toContain('>out_Cast<');
  });
});
