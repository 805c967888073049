import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import '../quantize/methods/int8-weight.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { lastRecordedStep, recordedRecipe } from '../testing/recorded-step.js';
import { createSession } from '../runtime/create-session.js';
import { buildMlp, makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { modelFidelity, seededFeeds } from '../testing/prune-fidelity.js';
import { buildResidualBnCnn } from '../testing/prune-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { pruneMethods } from './all-methods.js';
import { pruneModel } from './prune-model.js';

let tmp: ReturnType<typeof makeTempDir>;
let input: string;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-prune-model-');
  input = path.join(tmp.dir, 'model.onnx');
  fs.writeFileSync(input, modelBytes(buildResidualBnCnn()));
});
afterEach(() => tmp.cleanup());

const out = (name: string): string => path.join(tmp.dir, name);

async function errorOf(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StudioError) return error;
    throw error;
  }
  throw new Error('expected a StudioError');
}

describe('pruneModel', () => {
  it('registers magnitude and structured with option schemas', () => {
    expect(pruneMethods().map((m) => m.name)).toEqual(['magnitude', 'structured']);
    for (const m of pruneMethods()) expect(m.optionSchema.safeParse({}).success).toBe(true);
  });

  it('reports the contract fields and records the recipe in metadata_props', async () => {
    const report = await pruneModel({
      input,
      output: out('a.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
      options: { criterion: 'l1' },
    });
    for (const key of [
      'output',
      'method',
      'targetSparsity',
      'achievedSparsity',
      'prunedNodes',
      'removedChannels',
      'inputBytes',
      'outputBytes',
      'layers',
    ]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.output).toBe(out('a.onnx'));
    expect(report.targetSparsity).toBe(0.5);
    expect(report.inputBytes).toBe(fs.statSync(input).size);
    expect(report.outputBytes).toBe(fs.statSync(out('a.onnx')).size);
    const model = fromBinary(ModelProtoSchema, fs.readFileSync(out('a.onnx')));
    const recipe = lastRecordedStep(model);
    expect(recipe).toMatchObject({
      kind: 'prune',
      method: 'structured',
      common: { sparsity: 0.5, scope: 'layer' },
      options: { criterion: 'l1' },
    });

    // A variant of a variant keeps the history.
    await pruneModel({
      input: out('a.onnx'),
      output: out('b.onnx'),
      method: 'magnitude',
      common: { sparsity: 0.3 },
    });
    const twice = fromBinary(ModelProtoSchema, fs.readFileSync(out('b.onnx')));
    const history = recordedRecipe(twice);
    expect(history.steps.map((step) => [step.kind, 'method' in step ? step.method : '']).join()).toBe('prune,structured,prune,magnitude');
    // The chain starts at the first model, by name and hash, not at the intermediate file.
    expect(history.source.name).toBe(path.basename(input));
    expect(history.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never writes to its input and replaces an output only with force', async () => {
    const before = fs.readFileSync(input);
    expect(
      (await errorOf(pruneModel({ input, output: input, method: 'structured', common: { sparsity: 0.5 } })))
        .message,
    ).toMatch(/never overwrites/);
    fs.writeFileSync(out('exists.onnx'), 'x');
    const exists = await errorOf(
      pruneModel({ input, output: out('exists.onnx'), method: 'structured', common: { sparsity: 0.5 } }),
    );
    expect(exists.code).toBe('BAD_REQUEST');
    expect(exists.message).toMatch(/--force/);
    await pruneModel({
      input,
      output: out('exists.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
      force: true,
    });
    expect(fs.readFileSync(input).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['exists.onnx', 'model.onnx']);
  });

  it('rejects bad options with a message that names them', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string, RegExp][] = [
      [{ sparsity: 1.5 }, {}, 'structured', /sparsity/],
      // 1 removes every weight: refused, not written as a model that computes nothing.
      [{ sparsity: 1 }, {}, 'magnitude', /sparsity.*must be below 1/],
      [{}, {}, 'structured', /sparsity/],
      [{ sparsity: 0.5, scope: 'model' }, {}, 'structured', /scope/],
      [{ sparsity: 0.5 }, { roundTo: 0 }, 'structured', /roundTo/],
      [{ sparsity: 0.5 }, { pattern: 'half' }, 'magnitude', /N:M/],
      [
        { sparsity: 0.5 },
        {},
        'random',
        /Unknown pruning method 'random'. Choose one of: magnitude, structured/,
      ],
    ];
    for (const [common, options, method, message] of cases) {
      const error = await errorOf(pruneModel({ input, output: out('bad.onnx'), method, common, options }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
    }
    expect(fs.existsSync(out('bad.onnx'))).toBe(false);
  });

  it('stops when cancelled and writes nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    for (const method of ['magnitude', 'structured']) {
      const error = await errorOf(
        pruneModel({
          input,
          output: out('c.onnx'),
          method,
          common: { sparsity: 0.5 },
          signal: controller.signal,
        }),
      );
      expect(error.code).toBe('CANCELLED');
    }
    expect(fs.existsSync(out('c.onnx'))).toBe(false);
  });

  it('an abort from outside (as Ctrl+C sends it) lands after the layer or group in hand', async () => {
    for (const [method, phase] of [
      ['magnitude', 'pruning'],
      ['structured', 'scoring'],
    ] as const) {
      const controller = new AbortController();
      const seen: number[] = [];
      const error = await errorOf(
        pruneModel({
          input,
          output: out('c.onnx'),
          method,
          common: { sparsity: 0.5 },
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase !== phase) return;
            seen.push(p.done);
            // From the event loop, as the SIGINT handler and a job's cancel message do.
            if (p.done === 1) setImmediate(() => controller.abort());
          },
        }),
      );
      expect(error.code, method).toBe('CANCELLED');
      expect(seen, method).toEqual([1]);
      expect(fs.readdirSync(tmp.dir), method).toEqual(['model.onnx']);
    }
  });

  it('cancelled while measuring the written output, it removes that output', async () => {
    // Big enough that gzipping it takes a while after the output appears (about 16 MB of weights).
    const big = out('big.onnx');
    fs.writeFileSync(big, modelBytes(buildMlp({ inputSize: 2048, hiddenSize: 2048, outputSize: 16 })));
    const controller = new AbortController();
    const output = out('big.pruned.onnx');
    const watch = () => {
      if (fs.existsSync(output)) controller.abort();
      else if (!controller.signal.aborted) setImmediate(watch);
    };
    setImmediate(watch);
    const run = pruneModel({
      input: big,
      output,
      method: 'magnitude',
      common: { sparsity: 0.5 },
      signal: controller.signal,
    });
    const error = await errorOf(run).finally(() => controller.abort());
    expect(error.code).toBe('CANCELLED');
    expect(fs.existsSync(output)).toBe(false);
  });

  it('says plainly when it found no layer to prune, with the first reasons', async () => {
    // The MatMul's weight is a graph input: computed at run time, nothing to prune.
    const graph = makeGraph('runtime_weight', {
      nodes: [makeNode('MatMul', ['x', 'w'], ['y'], { name: 'mm' })],
      inputs: [
        makeValueInfo('x', TensorProto_DataType.FLOAT, [1, 4]),
        makeValueInfo('w', TensorProto_DataType.FLOAT, [4, 4]),
      ],
      outputs: [makeValueInfo('y', TensorProto_DataType.FLOAT, [1, 4])],
    });
    const file = out('runtime-weight.onnx');
    fs.writeFileSync(file, modelBytes(makeModel(graph)));
    const report = await pruneModel({
      input: file,
      output: out('runtime-weight.pruned.onnx'),
      method: 'magnitude',
      common: { sparsity: 0.5 },
    });
    expect(report.layers).toEqual([]);
    expect(report.notes[0]).toMatch(/^Nothing was pruned: magnitude found no layer it could prune.* Why: mm \(MatMul\): /);
    // A model with prunable layers does not get it.
    const pruned = await pruneModel({ input, output: out('x.onnx'), method: 'magnitude', common: { sparsity: 0.5 } });
    expect(pruned.notes.join('\n')).not.toMatch(/Nothing was pruned/);
  });

  it('says plainly when a sparsity rounded back to every channel pruned nothing', async () => {
    // Groups of 8 and 16 channels: 10% rounds up to a multiple of 8, which is every channel.
    const report = await pruneModel({
      input,
      output: out('rounded.onnx'),
      method: 'structured',
      common: { sparsity: 0.1 },
      options: { roundTo: 8 },
    });
    expect(report.removedChannels).toBe(0);
    expect(report.layers.length).toBeGreaterThan(0);
    expect(report.notes[0]).toBe(
      'Nothing was pruned: at 10% with --round-to 8 every layer would keep all its channels (8 → 8, 16 → 16), ' +
        'so the output computes exactly what the input does. Raise the sparsity or lower Round to (--round-to).',
    );
    // Magnitude at a sparsity too small for any layer says it in the same words.
    const magnitude = await pruneModel({
      input,
      output: out('tiny.onnx'),
      method: 'magnitude',
      common: { sparsity: 0 },
    });
    expect(magnitude.notes[0]).toMatch(
      /^Nothing was pruned: magnitude at 0% changed no weight, so the output computes exactly what the input does\./,
    );
    // One that prunes does not get it.
    const pruned = await pruneModel({
      input,
      output: out('half.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
      options: { roundTo: 8 },
    });
    expect(pruned.removedChannels).toBeGreaterThan(0);
    expect(pruned.notes.join('\n')).not.toMatch(/Nothing was pruned/);
  });

  it('reports progress', async () => {
    const phases = new Set<string>();
    await pruneModel({
      input,
      output: out('p.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
      onProgress: (p) => phases.add(p.phase),
    });
    expect([...phases]).toEqual(['analysing', 'scoring', 'pruning']);
  });

  it('keeps external data external', async () => {
    const loaded = await loadModel(input);
    const external = path.join(tmp.dir, 'ext.onnx');
    await saveModel(loaded.proto, external, { externalData: { thresholdBytes: 256 } });
    const report = await pruneModel({
      input: external,
      output: out('ext-pruned.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
    });
    expect(fs.existsSync(out('ext-pruned.onnx.data'))).toBe(true);
    expect(report.inputBytes).toBeGreaterThan(fs.statSync(external).size);
    const session = await createSession(out('ext-pruned.onnx'));
    await session.run(seededFeeds(loaded.proto, 1, 1)[0]!);
    await session.release();
  });

  it('prune then quantize: the pruned model feeds int8-weight quantization', async () => {
    for (const method of ['structured', 'magnitude']) {
      const pruned = out(`${method}.onnx`);
      await pruneModel({ input, output: pruned, method, common: { sparsity: 0.5 } });
      const quantized = out(`${method}.int8.onnx`);
      const report = await quantizeModel({ input: pruned, output: quantized, method: 'int8-weight' });
      expect(report.quantizedNodes).toBeGreaterThan(0);
      expect(report.outputBytes).toBeLessThan(fs.statSync(pruned).size);
      const model = (await loadModel(pruned)).proto;
      const fidelity = await modelFidelity(pruned, quantized, model, { samples: 4 });
      expect(fidelity.cosine).toBeGreaterThan(0.99);
      const recipe = recordedRecipe((await loadModel(quantized)).proto);
      expect(recipe.steps.map((step) => step.kind)).toEqual(['prune', 'quantize']);
    }
  });

  it('refuses a quantized model (quantize then prune would prune nothing): prune the float model, then quantize', async () => {
    const quantized = out('q.int8.onnx');
    await quantizeModel({ input, output: quantized, method: 'int8-weight' });
    for (const method of ['structured', 'magnitude']) {
      const error = await errorOf(
        pruneModel({ input: quantized, output: out(`q.${method}.onnx`), method, common: { sparsity: 0.5 } }),
      );
      expect(error.code).toBe('BAD_INPUT');
      expect(error.message).toMatch(
        new RegExp(
          `q\\.int8\\.onnx is already quantized \\(it has \\d+ DequantizeLinear\\); ${method} pruning reads float ` +
            'weights, .*so it would prune nothing\\. Prune the float model it was made from, then quantize\\.$',
        ),
      );
      expect(fs.existsSync(out(`q.${method}.onnx`))).toBe(false);
    }
  });

  it('prunes the MLP fixture whose batch is symbolic', async () => {
    fs.writeFileSync(out('mlp.onnx'), modelBytes(buildMlp()));
    const report = await pruneModel({
      input: out('mlp.onnx'),
      output: out('mlp-pruned.onnx'),
      method: 'structured',
      common: { sparsity: 0.5 },
    });
    expect(report.removedChannels).toBe(16);
    const session = await createSession(out('mlp-pruned.onnx'));
    await session.run(seededFeeds(buildMlp(), 1, 1, 4)[0]!);
    await session.release();
  });
});
