import { clone, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { TensorProto } from 'onnx-buf';
import { forEachTensorIn } from './walk-tensors.js';

/*
 * protobuf-es's clone, for ONNX messages whose tensors may hold float_data/double_data as typed arrays
 * (decode-model.ts). clone() copies a list value by value into a JS array: for a float_data model that is
 * as slow and as memory-hungry as the decoding the typed arrays avoid. Here the typed lists are set aside
 * while protobuf-es copies the rest, then the copy gets its own typed copies of them.
 */

type FloatLists = { floatData: unknown; doubleData: unknown };

const isTyped = (list: unknown): list is Float32Array | Float64Array =>
  list instanceof Float32Array || list instanceof Float64Array;

export function cloneProto<Desc extends DescMessage>(
  desc: Desc,
  message: MessageShape<Desc>,
): MessageShape<Desc> {
  // Per tensor, in walk order: its typed lists (undefined when it has none).
  const setAside: (FloatLists | undefined)[] = [];
  forEachTensorIn(desc, message, (tensor) => {
    const lists = tensor as unknown as FloatLists;
    if (!isTyped(lists.floatData) && !isTyped(lists.doubleData)) {
      setAside.push(undefined);
      return;
    }
    setAside.push({ floatData: lists.floatData, doubleData: lists.doubleData });
    if (isTyped(lists.floatData)) lists.floatData = [];
    if (isTyped(lists.doubleData)) lists.doubleData = [];
  });
  let copy: MessageShape<Desc>;
  try {
    copy = clone(desc, message);
  } finally {
    let at = 0;
    forEachTensorIn(desc, message, (tensor) => restore(tensor, setAside[at++], false));
  }
  let at = 0;
  forEachTensorIn(desc, copy, (tensor) => restore(tensor, setAside[at++], true));
  return copy;
}

function restore(tensor: TensorProto, lists: FloatLists | undefined, copy: boolean): void {
  if (!lists) return;
  const target = tensor as unknown as FloatLists;
  for (const key of ['floatData', 'doubleData'] as const) {
    const list = lists[key];
    if (isTyped(list)) target[key] = copy ? list.slice() : list;
  }
}
