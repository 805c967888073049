import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneModel } from '../prune/prune-model.js';
import { quantizeMethod } from '../quantize/all-methods.js';
import { quantizeModel, selectingQuantizer } from '../quantize/quantize-model.js';
import { buildConvNet } from '../testing/conv-fixtures.js';
import { buildIfModel, buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { buildUnnamedConvNet } from '../testing/unnamed-conv-net.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { nearestName } from '../../../shared/nearest-name.js';
import { checkNodeSelection } from './node-selection.js';

// buildMlp: fc1 (Gemm) -> relu1 (Relu) -> fc2_matmul (MatMul) -> fc2_add (Add).
// buildIfModel: in_matmul (MatMul) -> branch (If: then_matmul (MatMul) | else_add (Add)) -> relu (Relu).

describe('node selection: --exclude-nodes and --op-types checked against the model and the method', () => {
  const tmp = makeTempDir();
  const mlp = path.join(tmp.dir, 'mlp.onnx');
  const ifModel = path.join(tmp.dir, 'if.onnx');
  const out = (name: string) => path.join(tmp.dir, name);
  beforeAll(() => {
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    fs.writeFileSync(ifModel, modelBytes(buildIfModel()));
  });
  afterAll(() => tmp.cleanup());

  for (const method of ['int8-dynamic', 'int8-weight', 'int4', 'fp16'] as const) {
    it(`${method}: a misspelled excluded node is refused with the closest name, and nothing is written`, async () => {
      const output = out(`${method}-typo.onnx`);
      const run = quantizeModel({ input: mlp, output, method, common: { excludeNodes: ['fc2_matmull'] } });
      await expect(run).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/--exclude-nodes names 'fc2_matmull', which is no node of this model/),
      });
      await expect(run).rejects.toThrow(/Did you mean 'fc2_matmul'\?/);
      expect(fs.existsSync(output)).toBe(false);
    });
  }

  it('int8-static: refused before calibration, naming every unknown name and the nodes it would quantize', async () => {
    await expect(
      quantizeModel({
        input: mlp,
        output: out('static-typo.onnx'),
        method: 'int8-static',
        common: { excludeNodes: ['FC1', 'nope'] },
        calibration: {
          count: 1,
          describe: () => 'never read',
          // eslint-disable-next-line require-yield
          async *samples() {
            throw new Error('calibration ran before the names were checked');
          },
        },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /names 'FC1', 'nope', which are no node.*Did you mean 'fc1'\?.*would quantize, those with weights first: 'fc1', 'fc2_matmul', 'fc2_add', 'relu1'/,
      ),
    });
  });

  for (const method of ['magnitude', 'structured'] as const) {
    it(`${method} pruning: a misspelled excluded node is refused`, async () => {
      await expect(
        pruneModel({
          input: mlp,
          output: out(`${method}-typo.onnx`),
          method,
          common: { sparsity: 0.5, excludeNodes: ['fc_1'] },
        }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(
          /names 'fc_1'.*Did you mean 'fc1'\?.*would prune: 'fc1', 'fc2_matmul'\./,
        ),
      });
    });
  }

  it("int8-static's list of names leaves out the input Conv it keeps float by default, and says why", async () => {
    const selecting = selectingQuantizer(quantizeMethod('int8-static'));
    let refused = '';
    try {
      checkNodeSelection(buildConvNet(), { excludeNodes: ['sep.pww'] }, selecting, () => {});
    } catch (error) {
      refused = (error as Error).message;
    }
    expect(refused).toMatch(/Did you mean 'sep\.pw'\?/);
    expect(refused).toMatch(
      /'stem\.conv' stays float by default \(a Conv reading the model's input stays float unless --quantize-input-conv\)\.$/,
    );
    expect(refused.slice(0, refused.indexOf(' stays float'))).not.toMatch(/would quantize[^.]*'stem\.conv'/);
  });

  it('says an excluded node of a type the method leaves alone stays as it is anyway', async () => {
    const q = await quantizeModel({
      input: mlp,
      output: out('dynamic-relu.onnx'),
      method: 'int8-dynamic',
      common: { excludeNodes: ['relu1', 'fc1'] },
    });
    expect(q.notes).toContain(
      "--exclude-nodes names 'relu1' (Relu), which int8-dynamic does not quantize: it stays as it is anyway.",
    );
    expect(q.notes.join('\n')).not.toMatch(/names 'fc1' /);
  });

  it('names inside If branches are real names', async () => {
    const q = await quantizeModel({
      input: ifModel,
      output: out('if-q.onnx'),
      method: 'int8-weight',
      common: { excludeNodes: ['then_matmul'] },
    });
    expect(q.skippedNodes).toContainEqual(expect.objectContaining({ name: 'then_matmul' }));
    await expect(
      pruneModel({
        input: ifModel,
        output: out('if-p.onnx'),
        method: 'magnitude',
        common: { sparsity: 0.5, excludeNodes: ['then_matmul'] },
      }),
    ).resolves.toMatchObject({
      skipped: expect.arrayContaining([expect.objectContaining({ name: 'then_matmul' })]),
    });
  });

  it('names onnxruntime fusions and the rewrites give a node stand for that node (as tune passes them)', () => {
    const notes: string[] = [];
    const method = { name: 'int8-static', verb: 'quantize' };
    for (const name of ['fc2_matmul/MatMulAddFusion', 'fc2_matmul/MatMulAddFusion_token_3', 'fc1/add'])
      expect(() =>
        checkNodeSelection(buildMlp(), { excludeNodes: [name] }, method, (n) => notes.push(n)),
      ).not.toThrow();
    expect(notes).toEqual([]);
  });

  it("takes a rewrite's name of an unnamed node (after its output) and says an old recipe's label protects nothing", () => {
    const model = buildUnnamedConvNet();
    const nodes = model.graph!.node;
    const relu = nodes.find((n) => n.opType === 'Relu')!;
    const conv = nodes.find((n) => n.opType === 'Conv')!;
    const notes: string[] = [];
    const method = { name: 'int8-static', verb: 'quantize' };
    const check = (name: string) =>
      checkNodeSelection(model, { excludeNodes: [name] }, method, (n) => notes.push(n));
    expect(() => check(`${relu.output[0]}/add`)).not.toThrow();
    expect(notes).toEqual([]);
    // tune recorded `(Conv conv1.out)` labels in recipes before it skipped unnamed nodes.
    const label = `(${conv.opType} ${conv.output[0]})`;
    expect(() => check(label)).not.toThrow();
    expect(notes).toEqual([
      `--exclude-nodes names '${label}': the label of a node without a name, which int8-static cannot keep out by name; it is quantized as before.`,
    ]);
    expect(() => check('(Conv nowhere)')).toThrow(/no node of this model/);
  });

  it('an op type the method cannot quantize or prune is refused with what it handles, before the model is read', async () => {
    const missing = path.join(tmp.dir, 'missing.onnx');
    await expect(
      quantizeModel({
        input: missing,
        output: out('int4-conv.onnx'),
        method: 'int4',
        common: { opTypes: ['Conv'] },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        "--op-types names 'Conv', which int4 does not quantize. It can quantize MatMul, Gemm, Gather: name only those, or leave --op-types out for its default.",
    });
    await expect(
      quantizeModel({
        input: mlp,
        output: out('w-mm.onnx'),
        method: 'int8-weight',
        common: { opTypes: ['matmul'] },
      }),
    ).rejects.toThrow(/'matmul', which int8-weight does not quantize \(did you mean 'MatMul'\?\)/);
    await expect(
      pruneModel({
        input: missing,
        output: out('p-foo.onnx'),
        method: 'magnitude',
        common: { sparsity: 0.5, opTypes: ['Foo'] },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(
        /'Foo', which magnitude pruning does not prune\. It can prune Conv, ConvTranspose, Gemm, MatMul/,
      ),
    });
    // The methods no longer check this themselves (it was unreachable): every method is covered here.
    await expect(
      quantizeModel({
        input: mlp,
        output: out('dyn-foo.onnx'),
        method: 'int8-dynamic',
        common: { opTypes: ['Foo'] },
      }),
    ).rejects.toThrow(/'Foo', which int8-dynamic does not quantize\. It can quantize /);
    await expect(
      pruneModel({
        input: mlp,
        output: out('s-lstm.onnx'),
        method: 'structured',
        common: { sparsity: 0.5, opTypes: ['LSTM'] },
      }),
    ).rejects.toThrow(/'LSTM', which structured pruning does not prune/);
  });

  it('an op type the method handles but the model lacks is a note, the same for quantize and prune', async () => {
    const q = await quantizeModel({
      input: mlp,
      output: out('dyn-conv.onnx'),
      method: 'int8-dynamic',
      common: { opTypes: ['Conv', 'MatMul'] },
    });
    expect(q.quantizedNodes).toBe(1);
    expect(q.notes).toContain(
      '--op-types names Conv, of which this model has no node; int8-dynamic will quantize only its MatMul nodes.',
    );
    const p = await pruneModel({
      input: mlp,
      output: out('mag-conv.onnx'),
      method: 'magnitude',
      common: { sparsity: 0.5, opTypes: ['Conv', 'Gemm'] },
    });
    expect(p.notes).toContain(
      '--op-types names Conv, of which this model has no node; magnitude pruning will prune only its Gemm nodes.',
    );
  });

  it('fp16 converts any op type, so a misspelled one is a note with the closest the model has', async () => {
    const q = await quantizeModel({
      input: mlp,
      output: out('fp16.onnx'),
      method: 'fp16',
      common: { opTypes: ['relu', 'Gemm'] },
    });
    expect(q.notes).toContain(
      "--op-types names relu, of which this model has no node (did you mean 'Relu'?); fp16 will quantize only its Gemm nodes.",
    );
  });

  it('nearestName: case aside, or within two edits', () => {
    expect(nearestName('mm_1', ['mm1', 'mm2'])).toBe('mm1');
    expect(nearestName('GEMM', ['MatMul', 'Gemm'])).toBe('Gemm');
    expect(nearestName('Foo', ['Conv', 'MatMul'])).toBeUndefined();
    expect(nearestName('x', [])).toBeUndefined();
  });
});
