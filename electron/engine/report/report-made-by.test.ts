import { describe, expect, it } from 'vitest';
import type { WorkspaceVariant } from '../../../shared/workspace.js';
import { variant, workspace } from '../../../renderer/src/state/test-fixtures.js';
import { reportHtml, reportJson } from './report-files.js';

/** A variant made from `parent` (a variant id) by `recipe`, as a pipeline's second step records it. */
function child(id: string, name: string, parent: string, recipe: WorkspaceVariant['recipe']): WorkspaceVariant {
  return { ...variant(id, name, 900), parent, recipe };
}

const pruned: WorkspaceVariant = {
  ...variant('p1', 'structured 10%', 3600),
  recipe: { operation: 'prune', method: 'structured', common: { sparsity: 0.1 }, options: {} },
};
const ws = workspace({
  variants: [
    pruned,
    child('q1', 'structured 10% + int8-static', 'p1', { operation: 'quantize', method: 'int8-static', common: {}, options: {} }),
  ],
});

describe('the report\'s "Made by"', () => {
  it('names every step of a variant made from another variant, oldest first', () => {
    const json = reportJson(ws, '0.0.0');
    expect(json.rows.map((r) => r.recipe)).toEqual([
      undefined,
      'prune structured 10%',
      'prune structured 10%, then quantize int8-static',
    ]);
    expect(reportHtml(json)).toContain('<td>prune structured 10%, then quantize int8-static</td>');
  });

  it('names the three steps of a chain of three', () => {
    const third = child('q2', 'x', 'q1', { operation: 'quantize', method: 'fp16', common: {}, options: {} });
    const json = reportJson(workspace({ ...ws, variants: [...ws.variants, third] }), '0.0.0');
    expect(json.rows.find((r) => r.target === 'q2')?.recipe).toBe(
      'prune structured 10%, then quantize int8-static, then quantize fp16',
    );
  });
});
