import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema, TensorProto_DataType as DT, type ModelProto, type NodeProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { readTraceEvents } from '../../bench/profile-trace.js';
import { cloneProto } from '../../onnx/clone-proto.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { createSession } from '../../runtime/create-session.js';
import {
  buildIfModel,
  makeGraph,
  makeModel,
  modelBytes,
  randomFloats,
} from '../../testing/model-fixtures.js';
import { probedModel } from './probed-model.js';

const reduceMax = (tensor: string, names: { next(base: string): string }) => {
  const out = names.next(`${tensor}_probe`);
  return {
    nodes: [makeNode('ReduceMax', [tensor], [out], { name: out, attributes: { keepdims: { int: 0 } } })],
    outputs: [makeValueInfo(out, DT.FLOAT)],
  };
};

/** input -> Relu -> Neg -> Add(tail.bias) -> output, with `old.weight` an initializer also listed as an input. */
function chainModel(): ModelProto {
  return makeModel(
    makeGraph('chain', {
      inputs: [makeValueInfo('input', DT.FLOAT, [1, 4]), makeValueInfo('old.weight', DT.FLOAT, [4])],
      outputs: [makeValueInfo('output', DT.FLOAT, [1, 4])],
      initializers: [
        makeFloatTensor('tail.bias', [4], randomFloats(4, 1)),
        makeFloatTensor('old.weight', [4], randomFloats(4, 2)),
      ],
      nodes: [
        makeNode('Mul', ['input', 'old.weight'], ['scaled'], { name: 'mul' }),
        makeNode('Relu', ['scaled'], ['relu.out'], { name: 'relu' }),
        makeNode('Neg', ['relu.out'], ['neg.out'], { name: 'neg' }),
        makeNode('Add', ['neg.out', 'tail.bias'], ['output'], { name: 'tail' }),
      ],
    }),
  );
}

describe('probedModel', () => {
  it('keeps only what the probes read, outputs only the probes, and appends the latest tensor’s probe first', () => {
    const model = chainModel();
    const before = modelBytes(model);
    const probed = probedModel(model, ['input', 'neg.out', 'relu.out'], reduceMax);
    const graph = probed.graph!;
    expect(graph.node.map((n) => n.name)).toEqual([
      'mul',
      'relu',
      'neg',
      'neg.out_probe',
      'relu.out_probe',
      'input_probe',
    ]);
    expect(graph.output.map((o) => o.name)).toEqual(['neg.out_probe', 'relu.out_probe', 'input_probe']);
    // tail.bias only fed the dropped Add; old.weight is also a graph input, so a session still wants it.
    expect(graph.initializer.map((t) => t.name)).toEqual(['old.weight']);
    expect(modelBytes(model)).toEqual(before);
  });

  it('keeps the producers of tensors exposed as outputs themselves (no probe nodes)', () => {
    const exposed = probedModel(chainModel(), ['relu.out'], (tensor) => ({
      nodes: [],
      outputs: [makeValueInfo(tensor, DT.FLOAT)],
    }));
    expect(exposed.graph!.node.map((n) => n.name)).toEqual(['mul', 'relu']);
    expect(exposed.graph!.output.map((o) => o.name)).toEqual(['relu.out']);
  });

  it('keeps the producers a subgraph captures from the outer scope', async () => {
    const probed = probedModel(buildIfModel({ batch: 2 }), ['if.out'], reduceMax);
    expect(probed.graph!.node.map((n) => n.name)).toEqual(['in_matmul', 'branch', 'if.out_probe']);
    expect(probed.graph!.initializer.map((t) => t.name).sort()).toEqual([
      'in.weight',
      'shared.bias',
      'shared.weight',
    ]);
    const session = await createSession(modelBytes(probed));
    try {
      const out = await session.run({
        input: new ort.Tensor('float32', randomFloats(8, 3), [2, 4]),
        cond: new ort.Tensor('bool', Uint8Array.of(1), []),
      });
      expect(Number.isFinite(out['if.out_probe']!.data[0] as number)).toBe(true);
    } finally {
      await session.release();
    }
  });

  // The point of the ordering (see the file comment): onnxruntime must run each probe as soon as its tensor exists,
  // so that no probed activation outlives the float model's own use of it. Read from onnxruntime's own trace.
  it('makes onnxruntime run each probe right after its tensor, where appending them after the graph runs them all last', async () => {
    const convs: NodeProto[] = [];
    const initializers = [];
    let x = 'image';
    for (let i = 0; i < 4; i++) {
      initializers.push(
        makeFloatTensor(
          `w${i}`,
          [8, i === 0 ? 3 : 8, 3, 3],
          randomFloats(8 * (i === 0 ? 3 : 8) * 9, 10 + i, 0.2),
        ),
      );
      convs.push(
        makeNode('Conv', [x, `w${i}`], [`conv${i}`], {
          name: `conv${i}`,
          attributes: { pads: { ints: [1, 1, 1, 1] } },
        }),
      );
      convs.push(makeNode('Relu', [`conv${i}`], [`act${i}`], { name: `relu${i}` }));
      x = `act${i}`;
    }
    const model = makeModel(
      makeGraph('convs', {
        inputs: [makeValueInfo('image', DT.FLOAT, [1, 3, 16, 16])],
        outputs: [makeValueInfo(x, DT.FLOAT, [1, 8, 16, 16])],
        initializers,
        nodes: convs,
      }),
    );
    const tensors = ['act0', 'act1', 'act2'];
    const probed = probedModel(model, tensors, reduceMax);
    // The naive way: the same probes appended in tensor order after the untouched graph.
    const naive = cloneProto(ModelProtoSchema, model);
    const names = { next: (base: string) => `${base}_probe` };
    for (const t of tensors) {
      const p = reduceMax(t, names);
      naive.graph!.node.push(...p.nodes);
      naive.graph!.output.push(...p.outputs);
    }
    const orderOf = async (m: ModelProto): Promise<string[]> => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-order-'));
      try {
        const session = await createSession(modelBytes(m), {
          enableProfiling: true,
          profileFilePrefix: path.join(dir, 'trace'),
        });
        await session.run({ image: new ort.Tensor('float32', randomFloats(3 * 16 * 16, 5), [1, 3, 16, 16]) });
        session.endProfiling();
        await session.release();
        const file = path.join(
          dir,
          fs.readdirSync(dir).find((f) => f.endsWith('.json'))!,
        );
        const kernels: { name: string; ts: number }[] = [];
        for await (const e of readTraceEvents(file)) {
          // Where the CPU's NCHWc block divides the 8 channels (AVX2's 8-float block, not AVX-512's 16),
          // onnxruntime runs the convs in its blocked layout and inserts a ReorderOutput before each tensor
          // leaves it: the probe's or the graph output's, scheduled right before its reader. Such a layout
          // conversion belongs to its reader, not to a layer of the graph, so it counts as neither.
          if (e.args?.op_name === 'ReorderInput' || e.args?.op_name === 'ReorderOutput') continue;
          if (e.cat === 'Node' && e.name?.endsWith('_kernel_time'))
            kernels.push({ name: e.name.slice(0, -'_kernel_time'.length), ts: e.ts ?? 0 });
        }
        return kernels.sort((a, b) => a.ts - b.ts).map((k) => (k.name.endsWith('_probe') ? k.name : 'graph'));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    // Graph kernels that ran between the first and the last probe: the layers that produce act1 and act2.
    const between = (order: string[]) =>
      order.slice(order.indexOf('act0_probe'), order.indexOf('act2_probe')).filter((n) => n === 'graph')
        .length;
    const probedOrder = await orderOf(probed);
    expect(probedOrder.filter((n) => n !== 'graph')).toEqual(['act0_probe', 'act1_probe', 'act2_probe']);
    expect(between(probedOrder)).toBeGreaterThanOrEqual(2);
    const naiveOrder = await orderOf(naive);
    expect(naiveOrder.slice(-3).every((n) => n.endsWith('_probe'))).toBe(true);
    expect(between(naiveOrder)).toBe(0);
  });
});
