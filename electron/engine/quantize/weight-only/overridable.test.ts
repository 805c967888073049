import * as ort from 'onnxruntime-node';
import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { makeGraph, makeModel, randomTensor } from '../../testing/model-fixtures.js';
import { int4Method } from '../methods/int4.js';
import { int8WeightMethod } from '../methods/int8-weight.js';
import { expectAgreement, quantizeInMemory } from './test-support.js';

/*
 * A weight that is also listed as a graph input. An IR < 4 model lists every initializer so (that IR asked for
 * it): nobody feeds them, so the weight-only methods quantize them and drop the entries. From IR 4 on, an
 * initializer listed as an input is a default the user may override on purpose: quantizing it took that input
 * away (the model's inputs changed) and the note called it "IR < 4 style" on an IR 8 model.
 */

/** ids -> Gather(table [64, 64]) -> MatMul(fc [64, 64]) -> out; both weights also graph inputs. */
function overridableModel(irVersion: bigint): ModelProto {
  const table = randomTensor('table', [64, 64], 3, 0.5);
  const fc = randomTensor('fc', [64, 64], 4, 0.125);
  const model = makeModel(
    makeGraph('overridable', {
      nodes: [
        makeNode('Gather', ['table', 'ids'], ['rows'], { name: 'lookup' }),
        makeNode('MatMul', ['rows', 'fc'], ['out'], { name: 'project' }),
      ],
      inputs: [
        makeValueInfo('ids', DT.INT64, ['n']),
        makeValueInfo('table', DT.FLOAT, [64, 64]),
        makeValueInfo('fc', DT.FLOAT, [64, 64]),
      ],
      outputs: [makeValueInfo('out', DT.FLOAT, ['n', 64])],
      initializers: [table, fc],
    }),
  );
  model.irVersion = irVersion;
  return model;
}

const ids = {
  ids: new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i)),
    [64],
  ),
};

describe('weights that are also graph inputs', () => {
  for (const method of [int4Method, int8WeightMethod]) {
    it(`${method.name}, IR 8: they stay float with the reason, and the model keeps its inputs`, async () => {
      const model = overridableModel(8n);
      const q = await quantizeInMemory(method, model);
      expect(q.quantizedNodes).toBe(0);
      expect(q.model.graph!.input.map((i) => i.name)).toEqual(['ids', 'table', 'fc']);
      expect(q.model.graph!.node.map((n) => n.opType)).toEqual(['Gather', 'MatMul']);
      const reason = (name: string) =>
        `weight '${name}' is also a graph input, so it can be replaced at run time; quantizing it would take ` +
        'that input away (an IR 4 or later model lists only the inputs meant to be fed)';
      expect(q.skippedNodes).toEqual(
        expect.arrayContaining([
          { name: 'lookup', opType: 'Gather', reason: reason('table') },
          { name: 'project', opType: 'MatMul', reason: reason('fc') },
        ]),
      );
      expect(q.notes.join('\n')).not.toContain('IR < 4');
    });

    it(`${method.name}, IR 3: they are quantized and their input entries removed`, async () => {
      const model = overridableModel(3n);
      const q = await quantizeInMemory(method, model);
      expect(q.quantizedNodes).toBe(2);
      expect(q.model.graph!.input.map((i) => i.name).filter((n) => n === 'table' || n === 'fc')).toEqual([]);
      expect(q.notes.join('\n')).toContain(
        '2 quantized weights were also listed as graph inputs (IR < 4 style)',
      );
      await expectAgreement(model, q.model, ids, { minCosine: 0.98 });
    });
  }
});
