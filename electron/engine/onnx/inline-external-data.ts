import type { ModelProto, TensorProto } from 'onnx-buf';
import { externalRef, isExternal, readExternalBytes, type ExternalDataBase } from './external-data.js';
import { forEachTensor } from './walk-tensors.js';

/**
 * Reads every external tensor's bytes into its `raw_data`, in place, so code that rewrites weights
 * (quantizer, pruner) sees one kind of tensor. Only for a private copy of a model: the loaded proto, never
 * a caller's. Memory grows by the external data size. `modelDir`: where its locations resolve, the LoadedModel
 * (see resolveExternalLocation).
 */
export async function inlineExternalData(
  model: ModelProto,
  modelDir: string | ExternalDataBase,
): Promise<number> {
  const external: TensorProto[] = [];
  forEachTensor(model, (t) => {
    if (isExternal(t)) external.push(t);
  });
  const sizes = new Map<string, number>();
  let bytes = 0;
  for (const tensor of external) {
    const data = await readExternalBytes(externalRef(modelDir, tensor, sizes));
    tensor.rawData = data as Uint8Array<ArrayBuffer>;
    tensor.externalData = [];
    delete (tensor as Partial<TensorProto>).dataLocation;
    bytes += data.byteLength;
  }
  return bytes;
}
