import { equals } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cloneProto } from '../../onnx/clone-proto.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { buildConvNet } from '../../testing/conv-fixtures.js';
import { makeGraph, makeModel } from '../../testing/model-fixtures.js';
import { openModelSession } from './ort-model.js';
import { preoptimizeModel } from './preoptimize.js';

/*
 * Big models reach onnxruntime as a file whose weights are external data, which onnxruntime maps instead of
 * copying (IN_MEMORY_LIMIT_BYTES). Both paths must give the same thing; a limit of 0 sends this small model
 * down the file path.
 */

describe('models passed to onnxruntime as files', () => {
  it('pre-optimize to the same graph and weights as in memory', async () => {
    const inMemory = buildConvNet();
    const viaFile = cloneProto(ModelProtoSchema, inMemory);
    const a = await preoptimizeModel(inMemory);
    const b = await preoptimizeModel(viaFile, 0);
    expect(a.changes.length).toBeGreaterThan(0);
    expect(b.changes).toEqual(a.changes);
    // The optimized tensors come back with their bytes in memory, not pointing at the removed folder.
    for (const t of viaFile.graph!.initializer) expect(t.externalData).toHaveLength(0);
    expect(equals(ModelProtoSchema, viaFile, inMemory)).toBe(true);
  });

  it('pre-optimize a model whose subgraphs hold weights to the same model as in memory', async () => {
    const F = TensorProto_DataType.FLOAT;
    // Each branch multiplies by its own [16, 16] weight: 1 KiB, enough to go to external data.
    const branch = (name: string, scale: number) =>
      makeGraph(name, {
        nodes: [makeNode('MatMul', ['x', `${name}.w`], [`${name}.y`], { name: `${name}_matmul` })],
        inputs: [],
        outputs: [makeValueInfo(`${name}.y`, F, [1, 16])],
        initializers: [
          makeFloatTensor(
            `${name}.w`,
            [16, 16],
            Float32Array.from({ length: 256 }, (_, i) => scale * Math.sin(i)),
          ),
        ],
      });
    const gate = makeNode('If', ['cond'], ['y'], {
      name: 'gate',
      attributes: { then_branch: { graph: branch('then', 1) }, else_branch: { graph: branch('else', 2) } },
    });
    const inMemory = makeModel(
      makeGraph('gated', {
        nodes: [gate, makeNode('Relu', ['y'], ['out'], { name: 'relu' })],
        inputs: [makeValueInfo('x', F, [1, 16]), makeValueInfo('cond', TensorProto_DataType.BOOL, [])],
        outputs: [makeValueInfo('out', F, [1, 16])],
      }),
    );
    const viaFile = cloneProto(ModelProtoSchema, inMemory);
    await preoptimizeModel(inMemory);
    await preoptimizeModel(viaFile, 0);
    // onnxruntime, asked to write external initializers, writes a subgraph's twice: they must not come back.
    const branches = viaFile.graph!.node[0]!.attribute.map((a) => a.g!);
    for (const g of branches) expect(g.initializer.map((t) => t.name)).toEqual([`${g.name}.w`]);
    expect(equals(ModelProtoSchema, viaFile, inMemory)).toBe(true);
  });

  it('run to the same outputs as in memory', async () => {
    const model = buildConvNet();
    const input = model.graph!.input[0]!;
    const dims =
      input.type!.value.case === 'tensorType'
        ? input.type!.value.value.shape!.dim.map((d) =>
            d.value.case === 'dimValue' ? Number(d.value.value) : 1,
          )
        : [];
    const data = Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(i));
    const feeds = { [input.name]: new ort.Tensor('float32', data, dims) };
    const outputs: Float32Array[] = [];
    for (const limit of [Infinity, 0]) {
      const { session, close } = await openModelSession(model, {}, limit);
      try {
        const result = await session.run(feeds);
        outputs.push(result[session.outputNames[0]!]!.data as Float32Array);
      } finally {
        await close();
      }
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it('goes in memory when the temporary folder cannot be written', async () => {
    const model = buildConvNet();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/onnx-studio-tmp';
    try {
      const { session, close } = await openModelSession(model, {}, 0);
      expect(session.outputNames.length).toBeGreaterThan(0);
      await close();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
