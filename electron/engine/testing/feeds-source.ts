import * as ort from 'onnxruntime-node';
import type { SampleSource } from '../datasets/sample-source.js';
import { randomFloats } from './model-fixtures.js';

/** A SampleSource over fixed feeds (one sample each), for calibration and evaluation in tests. */
export function feedsSource(feeds: Record<string, ort.Tensor>[]): SampleSource {
  return {
    count: feeds.length,
    describe: () => `${feeds.length} fixture samples`,
    async *samples() {
      for (let index = 0; index < feeds.length; index++) yield { index, inputs: feeds[index]! };
    },
  };
}

/** A float32 input tensor of shape `dims` holding `randomFloats(count, seed, scale)`: a seeded feed. */
export function randomOrtTensor(dims: number[], seed: number, scale = 1): ort.Tensor {
  return new ort.Tensor(
    'float32',
    randomFloats(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    dims,
  );
}
