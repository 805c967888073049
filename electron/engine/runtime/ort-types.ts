import type { Tensor } from 'onnxruntime-node';
import { TensorProto_DataType as DataType } from 'onnx-buf';

/** onnxruntime's name for each ONNX element type it can feed or return. */
const ORT_TYPES = new Map<number, Tensor.Type>([
  [DataType.FLOAT, 'float32'],
  [DataType.DOUBLE, 'float64'],
  [DataType.FLOAT16, 'float16'],
  [DataType.INT8, 'int8'],
  [DataType.UINT8, 'uint8'],
  [DataType.INT16, 'int16'],
  [DataType.UINT16, 'uint16'],
  [DataType.INT32, 'int32'],
  [DataType.UINT32, 'uint32'],
  [DataType.INT64, 'int64'],
  [DataType.UINT64, 'uint64'],
  [DataType.BOOL, 'bool'],
  [DataType.STRING, 'string'],
  [DataType.INT4, 'int4'],
  [DataType.UINT4, 'uint4'],
]);

export function ortTypeOf(elemType: number): Tensor.Type | undefined {
  return ORT_TYPES.get(elemType);
}
