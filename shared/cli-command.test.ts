import { describe, expect, it } from 'vitest';
import { recipeCommand } from './cli-command.js';
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
        values: { sr: { kind: 'constant', value: 16000 }, ids: { kind: 'range', min: 0, max: 999 } },
      },
      '/m/speech.onnx',
      '/m/speech-int8.onnx',
      buildMethodCatalog(),
    );
    expect(command).toContain('--shape audio=1x16000 --dim batch=1 --value sr=16000 --value ids=0:999');
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
