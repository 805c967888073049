import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VariantRecipe, Workspace, WorkspaceVariant } from '../../../shared/workspace.js';
import { variantCliCommand } from './job-executors.js';
import { findSampleDir } from './sample-model.js';

const FP16: VariantRecipe = { operation: 'quantize', method: 'fp16', common: {}, options: {} };
const PRUNE: VariantRecipe = {
  operation: 'prune',
  method: 'structured',
  common: { sparsity: 0.1 },
  options: {},
};

function workspaceOf(modelPath: string, variants: Partial<WorkspaceVariant>[] = []): Workspace {
  return { model: { path: modelPath, fileBytes: 1, mtimeMs: 0 }, variants } as unknown as Workspace;
}

describe("a variant's command", () => {
  it('writes beside the original model', () => {
    expect(variantCliCommand(workspaceOf('/models/net.onnx'), FP16, 'original')).toEqual({
      command: 'onnx-studio quantize /models/net.onnx -o /models/net-fp16.onnx --method fp16',
      output: '/models/net-fp16.onnx',
    });
  });

  it("writes the bundled sample's variants into the current folder, not the installation's (a user test)", () => {
    const sample = path.join(findSampleDir()!, 'digits-resnet.onnx');
    const ws = workspaceOf(sample);
    expect(variantCliCommand(ws, FP16, 'original')).toEqual({
      command: `onnx-studio quantize ${sample} -o digits-resnet-fp16.onnx --method fp16`,
      output: 'digits-resnet-fp16.onnx',
    });
    // A stacked variant's chain: its first step's file, then read from there.
    const pruned = {
      id: 'v1',
      parent: 'original',
      recipe: PRUNE,
      cliOutput: 'digits-resnet-structured10.onnx',
    };
    const chain = variantCliCommand(workspaceOf(sample, [pruned]), FP16, 'v1').command.split('\n');
    expect(chain[0]).toMatch(/ -o digits-resnet-structured10-fp16\.step1\.onnx /);
    expect(chain[1]).toMatch(
      /^onnx-studio quantize digits-resnet-structured10-fp16\.step1\.onnx -o digits-resnet-structured10-fp16\.onnx /,
    );
  });
});
