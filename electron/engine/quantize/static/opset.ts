import type { GraphProto, ModelProto, NodeProto } from 'onnx-buf';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { GraphProtoSchema } from 'onnx-buf';
import {
  floatAttribute,
  intAttribute,
  intsAttribute,
  removeAttributes,
  stringAttribute,
} from '../../onnx/attributes.js';
import { float32ToFloat16Bits } from '../../onnx/float16.js';
import { decodeToFloat32, encodeTensor } from '../../onnx/tensor-codec.js';
import { makeAttribute, makeNode } from '../../onnx/graph-build.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  findConstant,
  normalizeDomain,
  opsetVersion,
  setOpsetVersion,
  subgraphsOf,
} from '../../onnx/graph.js';
import { inferElementTypes } from '../../onnx/element-types.js';
import { cloneProto } from '../../onnx/clone-proto.js';

/*
 * Where QuantizeLinear / DequantizeLinear can be emitted for a model, by its default-domain opset:
 *  - opset >= 13: default domain, per-tensor and per-axis.
 *  - opset < 13 whose ops all mean the same at 13 (possibly after converting attribute-to-input ops):
 *    the opset is raised to 13 (per-axis Q/DQ needs it) and the converted ops are listed.
 *  - otherwise the opset stays: per-axis Q/DQ (and at opset < 10 all Q/DQ) go in the com.microsoft
 *    domain, whose QuantizeLinear/DequantizeLinear take `axis` at any opset and which onnxruntime fuses
 *    like the default-domain ones; per-tensor Q/DQ use the default domain from opset 10.
 */

export const MS_DOMAIN = 'com.microsoft';

export interface QdqForms {
  /** Domain of per-tensor Q/DQ nodes. */
  perTensorDomain: string;
  /** Domain of per-axis Q/DQ nodes. */
  perAxisDomain: string;
  /** The default-domain opset after preparation. */
  opset: number;
  /** Whether MaxPool accepts 8-bit tensors at this opset (12+), so DQ -> MaxPool -> Q can be dropped. */
  maxPool8Bit: boolean;
  /**
   * Whether the default-domain QLinearConv / QLinearMatMul exist at this opset (10+). onnxruntime fuses
   * QDQ Conv and MatMul groups into them whatever the model's opset, so below 10 those groups would
   * produce a model it then refuses to load.
   */
  qlinearOps: boolean;
}

/** Ops whose meaning is the same at opset 13 as at any earlier opset from 9 where the node is valid. */
const STABLE_TO_13 = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'Add',
  'And',
  'ArgMax',
  'ArgMin',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'AveragePool',
  'BatchNormalization',
  'BitShift',
  'Cast',
  'Ceil',
  'Celu',
  'Compress',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvInteger',
  'ConvTranspose',
  'Cos',
  'Cosh',
  'CumSum',
  'DepthToSpace',
  'DequantizeLinear',
  'Det',
  'Div',
  'DynamicQuantizeLinear',
  'Einsum',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'EyeLike',
  'Flatten',
  'Floor',
  'Gather',
  'GatherElements',
  'GatherND',
  'Gemm',
  'GlobalAveragePool',
  'GlobalLpPool',
  'GlobalMaxPool',
  'Greater',
  'GreaterOrEqual',
  'HardSigmoid',
  'Identity',
  'If',
  'InstanceNormalization',
  'IsInf',
  'IsNaN',
  'LeakyRelu',
  'Less',
  'LessOrEqual',
  'Log',
  'Loop',
  'LpNormalization',
  'LpPool',
  'LRN',
  'MatMul',
  'MatMulInteger',
  'Max',
  'MaxPool',
  'MaxRoiPool',
  'MaxUnpool',
  'Mean',
  'MeanVarianceNormalization',
  'Min',
  'Mod',
  'Mul',
  'Neg',
  'NonMaxSuppression',
  'NonZero',
  'Not',
  'OneHot',
  'Or',
  'PRelu',
  'Pow',
  'QLinearConv',
  'QLinearMatMul',
  'QuantizeLinear',
  'Range',
  'Reciprocal',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
  'Relu',
  'Reshape',
  'ReverseSequence',
  'RoiAlign',
  'Round',
  'Scan',
  'ScatterElements',
  'ScatterND',
  'Selu',
  'Shape',
  'Shrink',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Size',
  'Softplus',
  'Softsign',
  'SpaceToDepth',
  'Sqrt',
  'Sub',
  'Sum',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Tile',
  'Transpose',
  'Where',
  'Xor',
  'LSTM',
  'GRU',
  'RNN',
  'Unique',
  'SequenceConstruct',
  'SequenceAt',
  'SequenceEmpty',
  'SequenceInsert',
  'SequenceErase',
  'SequenceLength',
  'ConcatFromSequence',
  'SplitToSequence',
  'NegativeLogLikelihoodLoss',
  'SoftmaxCrossEntropyLoss',
  'StringNormalizer',
  'TfIdfVectorizer',
  'MatMulInteger',
  'QLinearConv',
]);

/** Ops that are the same at 13 when the model is at least at this opset (converted below it, when possible). */
const STABLE_FROM: Record<string, number> = {
  Slice: 10,
  TopK: 10,
  Clip: 11,
  Pad: 11,
  Resize: 11,
  Dropout: 12,
};

type Converter = (node: NodeProto, ctx: ConvertContext) => NodeProto[] | undefined;

interface ConvertContext {
  graph: GraphProto;
  names: UniqueNameGenerator;
  types: Map<string, number>;
  /** New initializers to add to `graph`. */
  addInt64(base: string, values: number[]): string;
  addScalar(base: string, dataType: number, value: number): string;
  /** The values of a float constant, if `name` is one. */
  constantFloats(name: string): Float32Array | undefined;
}

/** Converters from the attribute forms (before 13) to the input forms of opset 13. */
const CONVERTERS: Record<string, { below: number; convert: Converter }> = {
  // axes / split became inputs at 13.
  Squeeze: { below: 13, convert: (n, c) => moveIntsToInput(n, c, 'axes', 1) },
  Unsqueeze: { below: 13, convert: (n, c) => moveIntsToInput(n, c, 'axes', 1) },
  ReduceSum: { below: 13, convert: (n, c) => moveIntsToInput(n, c, 'axes', 1) },
  Split: { below: 13, convert: (n, c) => moveIntsToInput(n, c, 'split', 1) },
  // starts/ends/axes/steps became inputs at 10.
  Slice: {
    below: 10,
    convert: (n, c) => {
      const starts = intsAttribute(n, 'starts');
      const ends = intsAttribute(n, 'ends');
      if (!starts || !ends) return undefined;
      const axes = intsAttribute(n, 'axes');
      const inputs = [
        n.input[0] ?? '',
        c.addInt64(`${n.name || 'slice'}_starts`, starts),
        c.addInt64(`${n.name || 'slice'}_ends`, ends),
      ];
      if (axes) inputs.push(c.addInt64(`${n.name || 'slice'}_axes`, axes));
      n.input = inputs;
      removeAttributes(n, ['starts', 'ends', 'axes']);
      return [n];
    },
  },
  // k became an input at 10.
  TopK: {
    below: 10,
    convert: (n, c) => {
      const k = intAttribute(n, 'k');
      if (k === undefined) return undefined;
      n.input = [n.input[0] ?? '', c.addInt64(`${n.name || 'topk'}_k`, [k])];
      removeAttributes(n, ['k']);
      return [n];
    },
  },
  // min/max became inputs at 11.
  Clip: {
    below: 11,
    convert: (n, c) => {
      const type = c.types.get(n.input[0] ?? '') ?? DT.FLOAT;
      if (type !== DT.FLOAT && type !== DT.DOUBLE && type !== DT.FLOAT16) return undefined;
      const min = floatAttribute(n, 'min');
      const max = floatAttribute(n, 'max');
      const inputs = [n.input[0] ?? ''];
      inputs.push(min !== undefined ? c.addScalar(`${n.name || 'clip'}_min`, type, min) : '');
      if (max !== undefined) inputs.push(c.addScalar(`${n.name || 'clip'}_max`, type, max));
      while (inputs.at(-1) === '' && inputs.length > 1) inputs.pop();
      n.input = inputs;
      removeAttributes(n, ['min', 'max']);
      return [n];
    },
  },
  // pads/value became inputs at 11.
  Pad: {
    below: 11,
    convert: (n, c) => {
      const pads = intsAttribute(n, 'pads');
      if (!pads) return undefined;
      const type = c.types.get(n.input[0] ?? '') ?? DT.FLOAT;
      const value = floatAttribute(n, 'value', 0);
      const inputs = [n.input[0] ?? '', c.addInt64(`${n.name || 'pad'}_pads`, pads)];
      if (value !== 0) {
        if (type !== DT.FLOAT && type !== DT.DOUBLE && type !== DT.FLOAT16) return undefined;
        inputs.push(c.addScalar(`${n.name || 'pad'}_value`, type, value));
      }
      n.input = inputs;
      removeAttributes(n, ['pads', 'value']);
      return [n];
    },
  },
  // ratio became an input at 12 (the node is an identity at inference either way).
  Dropout: {
    below: 12,
    convert: (n, c) => {
      const ratio = floatAttribute(n, 'ratio');
      const type = c.types.get(n.input[0] ?? '') ?? DT.FLOAT;
      n.input = [n.input[0] ?? ''];
      if (ratio !== undefined)
        n.input.push(
          c.addScalar(
            `${n.name || 'dropout'}_ratio`,
            type === DT.DOUBLE || type === DT.FLOAT16 ? type : DT.FLOAT,
            ratio,
          ),
        );
      removeAttributes(n, ['ratio', 'is_test']);
      return [n];
    },
  },
  // Upsample (deprecated at 10) with constant scales >= 1 is Resize with asymmetric coordinates and,
  // for nearest, floor rounding: exactly what Upsample computes.
  Upsample: {
    below: 99,
    convert: (n, c) => {
      const scales = c.constantFloats(n.input[1] ?? '');
      if (!scales || scales.some((v) => !(v >= 1))) return undefined;
      const mode = stringAttribute(n, 'mode', 'nearest');
      if (mode !== 'nearest' && mode !== 'linear') return undefined;
      n.opType = 'Resize';
      n.input = [n.input[0] ?? '', '', n.input[1] ?? ''];
      n.attribute = [
        makeAttribute('mode', { string: mode }),
        makeAttribute('coordinate_transformation_mode', { string: 'asymmetric' }),
        ...(mode === 'nearest' ? [makeAttribute('nearest_mode', { string: 'floor' })] : []),
      ];
      return [n];
    },
  },
  // Before 13 these flatten the input to 2-D at `axis` (default 1); from 13 they work along one axis
  // (default -1). Flatten(axis) -> op(axis=-1) -> Reshape(Shape(x)) keeps the old meaning exactly.
  Softmax: { below: 13, convert: (n, c) => coercedToSingleAxis(n, c) },
  LogSoftmax: { below: 13, convert: (n, c) => coercedToSingleAxis(n, c) },
  Hardmax: { below: 13, convert: (n, c) => coercedToSingleAxis(n, c) },
};

function moveIntsToInput(node: NodeProto, c: ConvertContext, attribute: string, slot: number): NodeProto[] {
  const values = intsAttribute(node, attribute);
  removeAttributes(node, [attribute]);
  if (values) {
    while (node.input.length < slot) node.input.push('');
    node.input.splice(
      slot,
      node.input.length - slot,
      c.addInt64(`${node.name || node.opType.toLowerCase()}_${attribute}`, values),
    );
  }
  return [node];
}

function coercedToSingleAxis(node: NodeProto, c: ConvertContext): NodeProto[] {
  const axis = intAttribute(node, 'axis', 1);
  removeAttributes(node, ['axis']);
  node.attribute.push(makeAttribute('axis', { int: -1 }));
  if (axis === -1) return [node];
  const input = node.input[0] ?? '';
  const output = node.output[0] ?? '';
  const base = node.name || node.opType.toLowerCase();
  const flat = c.names.next(`${base}_flattened`);
  const shape = c.names.next(`${base}_input_shape`);
  const inner = c.names.next(`${base}_2d`);
  node.input = [flat];
  node.output = [inner];
  return [
    makeNode('Flatten', [input], [flat], {
      name: c.names.next(`${base}_flatten`),
      attributes: { axis: { int: axis } },
    }),
    makeNode('Shape', [input], [shape], { name: c.names.next(`${base}_shape`) }),
    node,
    makeNode('Reshape', [inner, shape], [output], { name: c.names.next(`${base}_reshape`) }),
  ];
}

/** Default-domain nodes of the graph and its subgraphs. */
function* defaultDomainNodes(graph: GraphProto): Generator<{ node: NodeProto; graph: GraphProto }> {
  for (const node of graph.node) {
    if (normalizeDomain(node.domain) === '') yield { node, graph };
    for (const sub of subgraphsOf(node)) yield* defaultDomainNodes(sub);
  }
}

/** Why the model cannot simply move to opset 13 (op types whose meaning changed and that we cannot convert). */
export function opsetUpgradeBlockers(graph: GraphProto, from: number): string[] {
  const blockers = new Set<string>();
  for (const { node } of defaultDomainNodes(graph)) {
    const op = node.opType;
    if (STABLE_TO_13.has(op)) continue;
    const stableFrom = STABLE_FROM[op];
    if (stableFrom !== undefined && from >= stableFrom) continue;
    const converter = CONVERTERS[op];
    if (converter && from < converter.below) continue;
    blockers.add(op);
  }
  return [...blockers].sort();
}

/**
 * Raises the default-domain opset of `model` from `from` to 13, converting the ops whose inputs or
 * meaning changed (see CONVERTERS). Returns the op types converted, or undefined (model untouched)
 * when some op cannot be converted.
 */
export function upgradeTo13(model: ModelProto, from: number): string[] | undefined {
  const graph = model.graph;
  if (!graph) return undefined;
  if (opsetUpgradeBlockers(graph, from).length > 0) return undefined;
  const converted = new Set<string>();
  const copy = cloneProto(GraphProtoSchema, graph);
  const failed = convertGraph(copy, from, converted, new Map());
  if (failed) return undefined;
  model.graph = copy;
  setOpsetVersion(model, '', 13);
  return [...converted].sort();
}

function convertGraph(
  graph: GraphProto,
  from: number,
  converted: Set<string>,
  outerTypes: Map<string, number>,
): boolean {
  const names = new UniqueNameGenerator(graph);
  const types = inferElementTypes(graph, outerTypes);
  const index = new GraphIndex(graph);
  const ctx: ConvertContext = {
    graph,
    names,
    types,
    constantFloats: (name) => {
      const ref = findConstant(index, name);
      if (!ref) return undefined;
      try {
        return decodeToFloat32(ref.tensor);
      } catch {
        return undefined;
      }
    },
    addInt64: (base, values) => {
      const name = names.next(base);
      graph.initializer.push(
        encodeTensor(
          name,
          DT.INT64,
          [values.length],
          values.map((v) => BigInt(v)),
        ),
      );
      return name;
    },
    addScalar: (base, dataType, value) => {
      const name = names.next(base);
      const values = dataType === DT.FLOAT16 ? [float32ToFloat16Bits(value)] : [value];
      graph.initializer.push(encodeTensor(name, dataType, [], values));
      return name;
    },
  };
  const out: NodeProto[] = [];
  for (const node of graph.node) {
    for (const sub of subgraphsOf(node)) {
      if (convertGraph(sub, from, converted, types)) return true;
    }
    const converter = normalizeDomain(node.domain) === '' ? CONVERTERS[node.opType] : undefined;
    if (converter && from < converter.below) {
      const opType = node.opType;
      const replaced = converter.convert(node, ctx);
      if (!replaced) return true;
      converted.add(opType === 'Upsample' ? 'Upsample (to Resize)' : opType);
      out.push(...replaced);
    } else {
      out.push(node);
    }
  }
  graph.node = out;
  return false;
}

/**
 * Prepares the model's opset for QDQ and says which Q/DQ forms to emit (see the module comment).
 * `needsPerAxis`: whether any per-axis Q/DQ will be emitted (with per-tensor weights opset 10 suffices).
 */
export function prepareQdqOpset(
  model: ModelProto,
  needsPerAxis: boolean,
  note: (message: string) => void,
): QdqForms {
  const from = opsetVersion(model, '');
  if (from === undefined) {
    setOpsetVersion(model, '', 13);
    note('The model imported no default-domain opset; opset 13 added for QuantizeLinear/DequantizeLinear.');
    return { perTensorDomain: '', perAxisDomain: '', opset: 13, maxPool8Bit: true, qlinearOps: true };
  }
  if (from >= 13)
    return { perTensorDomain: '', perAxisDomain: '', opset: from, maxPool8Bit: true, qlinearOps: true };
  if (!needsPerAxis && from >= 10) {
    return { perTensorDomain: '', perAxisDomain: '', opset: from, maxPool8Bit: from >= 12, qlinearOps: true };
  }
  const converted = upgradeTo13(model, from);
  if (converted) {
    note(
      `Default-domain opset raised from ${from} to 13 for per-channel QuantizeLinear/DequantizeLinear` +
        (converted.length > 0
          ? `; converted to their opset-13 form: ${converted.join(', ')}.`
          : '; no op of the model changed meaning.'),
    );
    return { perTensorDomain: '', perAxisDomain: '', opset: 13, maxPool8Bit: true, qlinearOps: true };
  }
  const blockers = opsetUpgradeBlockers(model.graph!, from);
  const perTensorDomain = from >= 10 ? '' : MS_DOMAIN;
  note(
    `Opset ${from} kept (${blockers.join(', ') || 'an op could not be converted and'} cannot be moved to opset 13): ` +
      (perTensorDomain === MS_DOMAIN
        ? 'all QuantizeLinear/DequantizeLinear emitted in the com.microsoft domain; Conv and MatMul stay float ' +
          '(their fused forms QLinearConv/QLinearMatMul need opset 10).'
        : 'per-channel QuantizeLinear/DequantizeLinear emitted in the com.microsoft domain.'),
  );
  return {
    perTensorDomain,
    perAxisDomain: MS_DOMAIN,
    opset: from,
    maxPool8Bit: from >= 12,
    qlinearOps: from >= 10,
  };
}
