/*
 * The families of ONNX ops that the channel walk treats alike (it dispatches on them, and the pooling ops
 * get an extra axis check). Kept apart so that supporting one more op of a known kind is a one-line change.
 */

/** Unary ops that treat every element alike, so channels pass through unchanged. */
export const ELEMENTWISE_UNARY: ReadonlySet<string> = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Softplus',
  'Softsign',
  'Mish',
  'Erf',
  'Identity',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Log',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Cast',
  'Clip',
  'ThresholdedRelu',
  'Dropout',
  'Shrink',
  'IsNaN',
  'IsInf',
  'Not',
]);
/** Ops that pool over the spatial axes of NCHW tensors (channel axis 1) and keep the rank. */
export const SPATIAL_POOLS: ReadonlySet<string> = new Set([
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
]);
/** Ops that combine inputs element by element with broadcasting. */
export const ELEMENTWISE_MULTI: ReadonlySet<string> = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
]);
export const REDUCTIONS: ReadonlySet<string> = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceSum',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);
