import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { benchParams, runBenchmark } from '../bench/run-benchmark.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { resolveInputSpecs } from '../runtime/input-specs.js';
import { guessedValuesNote } from '../runtime/synthetic-feeds.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { makeModel, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { indexedTables } from './index-bounds.js';
import { inspectModel } from './inspect-model.js';

/**
 * Token ids into a 30-row embedding, through a Cast to int32 and an Unsqueeze (as exporters write them), and a
 * second, larger table read by the same ids on axis 1; `position` indexes a computed table (nothing constant).
 */
function smallVocabularyModel() {
  return makeModel(
    create(GraphProtoSchema, {
      name: 'small-vocabulary',
      input: [
        makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence']),
        makeValueInfo('position', DataType.INT64, ['batch', 'sequence']),
      ],
      output: [
        makeValueInfo('embedded', DataType.FLOAT, ['batch', 'sequence', 8]),
        makeValueInfo('wide', DataType.FLOAT, [4, 'batch', 'sequence']),
        makeValueInfo('moved', DataType.FLOAT, ['batch', 'sequence', 8]),
      ],
      initializer: [
        makeFloatTensor('emb', [30, 8], randomFloats(240, 1)),
        makeFloatTensor('wide_table', [4, 500], randomFloats(2000, 2)),
      ],
      node: [
        makeNode('Cast', ['input_ids'], ['ids32'], { attributes: { to: { int: DataType.INT32 } } }),
        makeNode('Gather', ['emb', 'ids32'], ['embedded']),
        makeNode('Gather', ['wide_table', 'input_ids'], ['wide'], { attributes: { axis: { int: 1 } } }),
        makeNode('Relu', ['emb'], ['computed']),
        makeNode('Gather', ['computed', 'position'], ['moved']),
      ],
    }),
  );
}

describe('index bounds', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('index-bounds-');
  });
  afterEach(() => tmp.cleanup());

  it('finds the constant table ids index, the smallest when several, through value-preserving ops', () => {
    const graph = smallVocabularyModel().graph!;
    expect(indexedTables(graph, ['input_ids', 'position'])).toEqual(
      new Map([['input_ids', { table: 'emb', rows: 30 }]]),
    );
  });

  it("finds a table looked up inside an If's branches (Optimum's merged decoder), not one a branch shadows", () => {
    const branch = (name: string, ids: string, local?: string) =>
      create(GraphProtoSchema, {
        name,
        output: [makeValueInfo(`${name}_out`, DataType.FLOAT, ['batch', 'sequence', 8])],
        initializer: local ? [makeFloatTensor(local, [3, 8], randomFloats(24, 3))] : [],
        node: [
          makeNode('Unsqueeze', [ids, 'axes'], [`${name}_ids`]),
          makeNode('Gather', [local ?? 'emb', `${name}_ids`], [`${name}_out`]),
        ],
      });
    const graph = create(GraphProtoSchema, {
      name: 'merged',
      input: [
        makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence']),
        makeValueInfo('use_cache_branch', DataType.BOOL, [1]),
      ],
      output: [makeValueInfo('out', DataType.FLOAT, ['batch', 'sequence', 8])],
      initializer: [makeFloatTensor('emb', [30, 8], randomFloats(240, 1))],
      node: [
        makeNode('If', ['use_cache_branch'], ['out'], {
          attributes: {
            then_branch: { graph: branch('with_past', 'input_ids') },
            // A branch whose own table shadows nothing of the ids: its 3 rows are a table the ids index too.
            else_branch: { graph: branch('first_step', 'input_ids', 'small_emb') },
          },
        }),
      ],
    });
    expect(indexedTables(graph, ['input_ids'])).toEqual(
      new Map([['input_ids', { table: 'small_emb', rows: 3 }]]),
    );
    // A body that defines the name itself reads its own value: the outer ids index nothing there.
    const shadowing = branch('shadow', 'input_ids', 'small_emb');
    shadowing.input.push(makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence']));
    graph.node[0]!.attribute[1]!.g = shadowing;
    expect(indexedTables(graph, ['input_ids'])).toEqual(new Map([['input_ids', { table: 'emb', rows: 30 }]]));
  });

  it('guesses ids within the table, says so, and the guess runs in onnxruntime', async () => {
    const model = smallVocabularyModel();
    const { inputs } = resolveInputSpecs(model);
    expect(inputs[0]?.values).toEqual({ kind: 'range', min: 0, max: 29 });
    expect(guessedValuesNote(inputs)).toContain(
      "'input_ids' (int64) with random whole numbers 0-29 (ids 0..29, rows of emb)",
    );
    // A computed table says nothing of its rows: the small default, which the benchmark below overrides to
    // fit `computed`'s 30 rows.
    expect(inputs[1]?.values).toEqual({ kind: 'range', min: 0, max: 99 });
    const file = path.join(tmp.dir, 'small-vocabulary.onnx');
    fs.writeFileSync(file, modelBytes(model));
    expect((await inspectModel(file)).inputs[0]?.indexes).toEqual({ table: 'emb', rows: 30 });
    const report = await runBenchmark(
      benchParams({
        models: [file],
        warmup: 0,
        iterations: 2,
        values: { position: { kind: 'range', min: 0, max: 29 } },
      }),
    );
    // The ids' range is the guess within the table, and the row says so beside the shape it fed.
    expect(report.results[0]?.inputs[0]).toEqual({
      name: 'input_ids',
      dtype: 'int64',
      shape: [1, 128],
      values: { kind: 'range', min: 0, max: 29 },
      guessed: 'batch=1, sequence=128, values random whole numbers 0-29',
    });
  });
});
