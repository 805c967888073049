import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { loadModel } from '../onnx/load-model.js';
import { makeValueInfo } from '../onnx/graph-build.js';
import { tinyDigits } from './tiny-digits.js';

/** The tiny digits classifier's flattened features, fed to its classifier: 256 values per sample. */
export const DIGITS_FEATURES = '/Flatten_output_0';

/**
 * The tiny digits classifier (`logits`, 10 classes) with its flattened features as a second output, declared
 * `[batch, ?]` as an exporter leaves it: first (`featuresFirst`, the default), or after `logits`. Written to `dir`;
 * returns the file's path.
 */
export async function twoOutputDigits(
  dir: string,
  options: { featuresFirst?: boolean } = {},
): Promise<string> {
  const model = await loadModel(tinyDigits().modelPath);
  const graph = model.proto.graph!;
  const features = makeValueInfo(DIGITS_FEATURES, DT.FLOAT, ['batch', null]);
  if (options.featuresFirst ?? true) graph.output.unshift(features);
  else graph.output.push(features);
  const file = path.join(
    dir,
    options.featuresFirst === false ? 'digits-logits-first.onnx' : 'digits-features-first.onnx',
  );
  fs.writeFileSync(file, toBinary(ModelProtoSchema, model.proto));
  return file;
}
