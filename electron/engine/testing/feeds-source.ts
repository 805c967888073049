import type * as ort from 'onnxruntime-node';
import type { SampleSource } from '../datasets/sample-source.js';

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
