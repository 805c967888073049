import { describe, expect, it } from 'vitest';
import { commandWritingTo, recipeCommand, shellWords } from './cli-command.js';
import { buildMethodCatalog } from './options/method-catalog.js';

describe('recipeCommand', () => {
  it('reproduces the input spec a variant was made with: shapes, dims and values', () => {
    const { command } = recipeCommand(
      {
        operation: 'quantize',
        method: 'int8-static',
        common: {},
        options: {},
        calibration: { spec: { kind: 'synthetic', samples: 8 }, baseDir: '/m' },
        shapes: { audio: [1, 16000] },
        dims: { batch: 1 },
        values: {
          sr: { kind: 'constant', value: 16000 },
          ids: { kind: 'range', min: 0, max: 999 },
          position_ids: { kind: 'positions', start: 0 },
          pos: { kind: 'positions', start: 5 },
        },
      },
      '/m/speech.onnx',
      '/m/speech-int8.onnx',
      buildMethodCatalog(),
    );
    expect(command).toContain(
      '--shape audio=1x16000 --dim batch=1 --value sr=16000 --value ids=0:999 --value position_ids=positions ' +
        '--value pos=positions+5',
    );
  });

  it('gives a method that reads no data no input flags: the CLI refuses them there (a user test)', () => {
    const { command } = recipeCommand(
      {
        operation: 'quantize',
        method: 'fp16',
        common: {},
        options: {},
        shapes: { image: [1, 1, 32, 32] },
        values: { sr: { kind: 'constant', value: 16000 } },
      },
      '/m/digits.onnx',
      '/m/digits-fp16.onnx',
      buildMethodCatalog(),
    );
    expect(command).toBe('onnx-studio quantize /m/digits.onnx -o /m/digits-fp16.onnx --method fp16');
  });
});

describe('commandWritingTo', () => {
  it('makes the last command write the file the user saves to, quoted, and leaves earlier steps and comments', () => {
    // The LM user test: saved to /tmp/x/int4.onnx, Export still showed -o /tmp/ut5/llm/model-int4.onnx.
    expect(
      commandWritingTo(
        'onnx-studio quantize /m/net.onnx -o /m/net-int4.onnx --method int4',
        '/tmp/x/int4.onnx',
      ),
    ).toBe('onnx-studio quantize /m/net.onnx -o /tmp/x/int4.onnx --method int4');
    const chain = [
      'onnx-studio prune /m/net.onnx -o /m/net-magnitude30.onnx --method magnitude --sparsity 0.3',
      "onnx-studio quantize /m/net-magnitude30.onnx -o '/m/it'\\''s.onnx' --method int8-dynamic",
      '# not settable from the command line (the app used): x=1',
    ].join('\n');
    expect(commandWritingTo(chain, "/out/my model's.onnx").split('\n')).toEqual([
      'onnx-studio prune /m/net.onnx -o /m/net-magnitude30.onnx --method magnitude --sparsity 0.3',
      "onnx-studio quantize /m/net-magnitude30.onnx -o '/out/my model'\\''s.onnx' --method int8-dynamic",
      '# not settable from the command line (the app used): x=1',
    ]);
    // Read back, the words are the ones written.
    expect(shellWords("a '/out/my model'\\''s.onnx' b")).toEqual(['a', "/out/my model's.onnx", 'b']);
    // No command (the original's comment) is left as it is.
    expect(commandWritingTo('# the original model: /m/net.onnx', '/x.onnx')).toBe(
      '# the original model: /m/net.onnx',
    );
  });
});
