import fs from 'node:fs';
import path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { buildIfModel, buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { subgraphsOf } from './graph-index.js';
import { loadModel } from './load-model.js';

/** Why onnxruntime refuses the model, or 'loads': the rule loadModel follows is onnxruntime's. */
async function ortVerdict(model: ModelProto): Promise<string> {
  try {
    const session = await ort.InferenceSession.create(modelBytes(model));
    await session.release();
    return 'loads';
  } catch (error) {
    return String(error);
  }
}

describe('loadModel and duplicate node names', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  async function load(model: ModelProto): Promise<unknown> {
    const file = path.join(tmp.dir, 'model.onnx');
    fs.writeFileSync(file, modelBytes(model));
    return loadModel(file).then(
      () => undefined,
      (e: unknown) => e,
    );
  }

  it('refuses two nodes of one graph with the same name (MODEL_INVALID), naming it, as onnxruntime does', async () => {
    const model = buildMlp();
    model.graph!.node[1]!.name = 'fc1';
    model.graph!.node[3]!.name = 'fc1';
    expect(await ortVerdict(model)).toMatch(/two nodes with same node name/);
    const error = await load(model);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('MODEL_INVALID');
    expect((error as StudioError).message).toMatch(/share a name: 'fc1' \(3 nodes: Gemm, Relu, Add\)/);
    expect((error as StudioError).message).toMatch(/unique name/);
  });

  it('accepts repeated empty names, as ONNX and onnxruntime do', async () => {
    const model = buildMlp();
    for (const node of model.graph!.node) node.name = '';
    expect(await ortVerdict(model)).toBe('loads');
    expect(await load(model)).toBeUndefined();
  });

  it('accepts a body that reuses a name of the graph around it (each graph is checked on its own)', async () => {
    const model = buildIfModel();
    const branch = model.graph!.node.find((n) => n.opType === 'If')!;
    for (const sub of subgraphsOf(branch)) sub.node[0]!.name = 'in_matmul';
    expect(await ortVerdict(model)).toBe('loads');
    expect(await load(model)).toBeUndefined();
  });

  it('refuses a body with two nodes of one name, naming the subgraph', async () => {
    const model = buildIfModel();
    const branch = model.graph!.node.find((n) => n.opType === 'If')!;
    const [thenBranch] = subgraphsOf(branch);
    const twin = structuredClone(thenBranch!.node[0]!);
    twin.output = ['then.twin'];
    thenBranch!.node.push(twin);
    expect(await ortVerdict(model)).toMatch(/two nodes with same node name/);
    const error = await load(model);
    expect((error as StudioError).code).toBe('MODEL_INVALID');
    expect((error as StudioError).message).toMatch(
      /in subgraph 'then_branch': 'then_matmul' \(2 nodes: MatMul\)/,
    );
  });
});
