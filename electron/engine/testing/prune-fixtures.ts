import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import {
  type AttributeValue,
  littleEndianBytes,
  makeFloatTensor,
  makeInt64Tensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../onnx/graph-build.js';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { makeModel, randomFloats, randomTensor } from './model-fixtures.js';

/*
 * Models for the pruning tests and benchmark, built in code with seeded weights: a CNN with BatchNorm and a
 * residual Add, a depthwise-separable block, a Flatten (or Reshape) into a Gemm, a DenseNet-style Concat,
 * a model full of channel ties pruning must refuse, and a larger ResNet-style net for timing. Every builder
 * returns a fresh ModelProto (opset 17 unless stated).
 */

const FLOAT = TensorProto_DataType.FLOAT;

/** Accumulates nodes and seeded initializers for one graph. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly valueInfo: ValueInfoProto[] = [];
  private seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  weight(name: string, dims: number[], scale: number, offset = 0): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = randomFloats(n, this.seed++, scale);
    if (offset !== 0) for (let i = 0; i < n; i++) values[i]! += offset;
    this.initializers.push(makeFloatTensor(name, dims, values));
    return name;
  }

  node(op: string, inputs: string[], output: string, attributes?: Record<string, AttributeValue>): string {
    this.nodes.push(makeNode(op, inputs, [output], { name: output, ...(attributes ? { attributes } : {}) }));
    return output;
  }

  /** Conv (k x k, 'same' padding) with a bias; `group` for grouped / depthwise convolutions. */
  conv(
    name: string,
    x: string,
    inChannels: number,
    outChannels: number,
    options: { k?: number; stride?: number; group?: number; bias?: boolean } = {},
  ): string {
    const k = options.k ?? 3;
    const group = options.group ?? 1;
    const fanIn = (inChannels / group) * k * k;
    const inputs = [
      x,
      this.weight(`${name}.weight`, [outChannels, inChannels / group, k, k], Math.sqrt(3 / fanIn)),
    ];
    if (options.bias ?? true) inputs.push(this.weight(`${name}.bias`, [outChannels], 0.1));
    const pad = Math.floor(k / 2);
    return this.node('Conv', inputs, name, {
      kernel_shape: { ints: [k, k] },
      pads: { ints: [pad, pad, pad, pad] },
      strides: { ints: [options.stride ?? 1, options.stride ?? 1] },
      group: { int: group },
    });
  }

  /** BatchNormalization (inference) with gamma in [0.5, 1.5] and variance in [0.5, 1.5]. */
  bn(name: string, x: string, channels: number): string {
    return this.node(
      'BatchNormalization',
      [
        x,
        this.weight(`${name}.scale`, [channels], 0.5, 1),
        this.weight(`${name}.bias`, [channels], 0.1),
        this.weight(`${name}.mean`, [channels], 0.1),
        this.weight(`${name}.var`, [channels], 0.5, 1),
      ],
      name,
      { epsilon: { float: 1e-5 } },
    );
  }

  relu(name: string, x: string): string {
    return this.node('Relu', [x], name);
  }

  /** Conv + BatchNorm (+ Relu). */
  convBn(
    name: string,
    x: string,
    inChannels: number,
    outChannels: number,
    options: { k?: number; stride?: number; group?: number; relu?: boolean } = {},
  ): string {
    const c = this.conv(`${name}.conv`, x, inChannels, outChannels, { ...options, bias: false });
    const b = this.bn(`${name}.bn`, c, outChannels);
    return options.relu === false ? b : this.relu(`${name}.relu`, b);
  }

  /** GlobalAveragePool -> Flatten -> Gemm(transB) to `classes` logits. */
  head(x: string, channels: number, classes: number, output = 'logits'): string {
    const gap = this.node('GlobalAveragePool', [x], 'gap');
    const flat = this.node('Flatten', [gap], 'flatten', { axis: { int: 1 } });
    return this.node(
      'Gemm',
      [
        flat,
        this.weight('fc.weight', [classes, channels], 1 / Math.sqrt(channels)),
        this.weight('fc.bias', [classes], 0.1),
      ],
      output,
      {
        transB: { int: 1 },
      },
    );
  }

  model(name: string, inputs: ValueInfoProto[], outputs: ValueInfoProto[], opset?: number): ModelProto {
    const graph = create(GraphProtoSchema, {
      name,
      node: this.nodes,
      input: inputs,
      output: outputs,
      initializer: this.initializers,
      valueInfo: this.valueInfo,
    });
    return makeModel(graph, opset);
  }
}

const image = (name: string, channels: number, size: number, batch: number | string = 1): ValueInfoProto =>
  makeValueInfo(name, FLOAT, [batch, channels, size, size]);
const logits = (classes: number, batch: number | string = 1): ValueInfoProto =>
  makeValueInfo('logits', FLOAT, [batch, classes]);

/**
 * Conv+BN+Relu stem (3 -> 8), a residual block (two Conv+BN, Add with the stem, Relu), a strided Conv+BN+Relu
 * (8 -> 16), then GAP -> Flatten -> Gemm (10). The stem and the block's second conv form one channel group.
 * Input [1, 3, 16, 16]. With `valueInfo`, shapes of a few intermediate tensors are declared.
 */
export function buildResidualBnCnn(options: { seed?: number; valueInfo?: boolean } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 101);
  const stem = b.convBn('stem', 'input', 3, 8);
  const r1 = b.convBn('block.a', stem, 8, 8);
  const r2 = b.convBn('block.b', r1, 8, 8, { relu: false });
  const sum = b.node('Add', [r2, stem], 'block.add');
  const out = b.relu('block.relu', sum);
  const down = b.convBn('down', out, 8, 16, { stride: 2 });
  b.head(down, 16, 10);
  if (options.valueInfo) {
    b.valueInfo.push(
      makeValueInfo(stem, FLOAT, [1, 8, 16, 16]),
      makeValueInfo(sum, FLOAT, [1, 8, 16, 16]),
      makeValueInfo(down, FLOAT, [1, 16, 8, 8]),
      makeValueInfo('flatten', FLOAT, [1, 16]),
    );
  }
  return b.model('residual_bn_cnn', [image('input', 3, 16)], [logits(10)]);
}

/**
 * Depthwise-separable: Conv+Relu stem (3 -> 8), depthwise Conv (group 8) + BN + Relu, pointwise Conv (8 -> 16)
 * + Relu, a depthwise Conv with channel multiplier 2 (16 -> 32, group 16) + Relu, then GAP -> Flatten -> Gemm.
 * The stem and the first depthwise conv share one group; the pointwise conv and the multiplier-2 conv another.
 */
export function buildDepthwiseSeparable(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 201);
  const stem = b.relu('stem.relu', b.conv('stem', 'input', 3, 8));
  const dw = b.convBn('dw', stem, 8, 8, { group: 8 });
  const pw = b.relu('pw.relu', b.conv('pw', dw, 8, 16, { k: 1 }));
  const dw2 = b.relu('dw2.relu', b.conv('dw2', pw, 16, 32, { group: 16 }));
  b.head(dw2, 32, 10);
  return b.model('depthwise_separable', [image('input', 3, 16)], [logits(10)]);
}

/**
 * Conv (3 -> 8) + Relu + MaxPool(2) on [batch, 3, 8, 8], then into a Gemm (128 -> 10) through
 * - 'flatten': Flatten(axis 1);
 * - 'reshape': Reshape to the constant [0, -1];
 * - 'reshape-explicit': Reshape to the constant [0, 128] (the 128 must follow the pruning);
 * - 'reshape-dynamic': Reshape to Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]), as torch exports x.view(x.size(0), -1);
 * - 'reshape-sliced': opset 9, Reshape to Concat(Cast(Slice(Cast(Shape(x)), 0:1)), Cast(int32 constant [128])), as
 *   paddle2onnx writes a flatten (the 128 must follow the pruning).
 * With `valueInfo`, the pooled and flattened shapes are declared.
 */
export function buildFlattenGemm(
  options: {
    seed?: number;
    via?: 'flatten' | 'reshape' | 'reshape-explicit' | 'reshape-dynamic' | 'reshape-sliced';
    valueInfo?: boolean;
  } = {},
): ModelProto {
  const b = new GraphBuilder(options.seed ?? 301);
  const via = options.via ?? 'flatten';
  const conv = b.relu('relu', b.conv('conv', 'input', 3, 8));
  const pool = b.node('MaxPool', [conv], 'pool', {
    kernel_shape: { ints: [2, 2] },
    strides: { ints: [2, 2] },
  });
  let flat: string;
  if (via === 'flatten') {
    flat = b.node('Flatten', [pool], 'flat', { axis: { int: 1 } });
  } else if (via === 'reshape' || via === 'reshape-explicit') {
    b.initializers.push(makeInt64Tensor('flat.shape', [2], via === 'reshape' ? [0, -1] : [0, 128]));
    flat = b.node('Reshape', [pool, 'flat.shape'], 'flat');
  } else if (via === 'reshape-sliced') {
    const shape = b.node('Cast', [b.node('Shape', [pool], 'flat.shape_of')], 'flat.shape_i32', {
      to: { int: TensorProto_DataType.INT32 },
    });
    const batch = b.node('Slice', [shape], 'flat.batch_i32', {
      starts: { ints: [0] },
      ends: { ints: [1] },
      axes: { ints: [0] },
    });
    b.nodes.push(
      makeNode('Constant', [], ['flat.features_i32'], {
        name: 'flat.features_const',
        attributes: {
          value: {
            tensor: makeRawTensor('', TensorProto_DataType.INT32, [1], littleEndianBytes(Int32Array.of(128))),
          },
        },
      }),
    );
    const target = b.node(
      'Concat',
      [
        b.node('Cast', [batch], 'flat.batch', { to: { int: TensorProto_DataType.INT64 } }),
        b.node('Cast', ['flat.features_i32'], 'flat.features', { to: { int: TensorProto_DataType.INT64 } }),
      ],
      'flat.target',
      { axis: { int: 0 } },
    );
    flat = b.node('Reshape', [pool, target], 'flat');
  } else {
    const shape = b.node('Shape', [pool], 'flat.shape_of');
    b.initializers.push(
      makeInt64Tensor('flat.zero', [], [0]),
      makeInt64Tensor('flat.axes', [1], [0]),
      makeInt64Tensor('flat.rest', [1], [-1]),
    );
    const batch = b.node('Gather', [shape, 'flat.zero'], 'flat.batch', { axis: { int: 0 } });
    const batch1 = b.node('Unsqueeze', [batch, 'flat.axes'], 'flat.batch1');
    const target = b.node('Concat', [batch1, 'flat.rest'], 'flat.target', { axis: { int: 0 } });
    flat = b.node('Reshape', [pool, target], 'flat');
  }
  b.node(
    'Gemm',
    [flat, b.weight('fc.weight', [10, 128], 1 / Math.sqrt(128)), b.weight('fc.bias', [10], 0.1)],
    'logits',
    { transB: { int: 1 } },
  );
  if (options.valueInfo)
    b.valueInfo.push(
      makeValueInfo(pool, FLOAT, ['batch', 8, 4, 4]),
      makeValueInfo(flat, FLOAT, ['batch', 128]),
    );
  return b.model(
    `flatten_gemm_${via}`,
    [image('input', 3, 8, 'batch')],
    [logits(10, 'batch')],
    via === 'reshape-sliced' ? 9 : undefined,
  );
}

/**
 * DenseNet-style: two Conv+Relu branches (3 -> 4 and 3 -> 6) concatenated on channels (10), a Conv (10 -> 8)
 * reading the concatenation, a per-channel Mul by a [8, 1, 1] constant, then GAP -> Flatten -> Gemm.
 */
export function buildConcatCnn(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 401);
  const left = b.relu('left.relu', b.conv('left', 'input', 3, 4));
  const right = b.relu('right.relu', b.conv('right', 'input', 3, 6));
  const cat = b.node('Concat', [left, right], 'cat', { axis: { int: 1 } });
  const fuse = b.conv('fuse', cat, 10, 8, { k: 1 });
  const scaled = b.node('Mul', [fuse, b.weight('fuse.scale', [8, 1, 1], 0.5, 1)], 'fuse.scaled');
  b.head(b.relu('fuse.relu', scaled), 8, 10);
  return b.model('concat_cnn', [image('input', 3, 12)], [logits(10)]);
}

/**
 * Squeeze-and-excitation with a Pad and a Resize: Conv (3 -> 8) + Relu, Pad (spatial, 1) and Resize (nearest,
 * x2) on [1, 3, 8, 8]; then GAP -> Conv 1x1 (8 -> 4) + Relu -> Conv 1x1 (4 -> 8) -> Sigmoid, and a Mul of the
 * features by that gate (which ties the features' conv and the expanding conv into one group); GAP -> Flatten
 * -> Gemm (10).
 */
export function buildSqueezeExcite(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 451);
  const x = b.relu('features.relu', b.conv('features', 'input', 3, 8));
  b.initializers.push(makeInt64Tensor('pad.pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]));
  const padded = b.node('Pad', [x, 'pad.pads'], 'pad', { mode: { string: 'constant' } });
  b.initializers.push(makeFloatTensor('resize.scales', [4], [1, 1, 2, 2]));
  const up = b.node('Resize', [padded, '', 'resize.scales'], 'resize', { mode: { string: 'nearest' } });
  const squeezed = b.node('GlobalAveragePool', [up], 'se.gap');
  const reduce = b.relu('se.reduce.relu', b.conv('se.reduce', squeezed, 8, 4, { k: 1 }));
  const gate = b.node('Sigmoid', [b.conv('se.expand', reduce, 4, 8, { k: 1 })], 'se.gate');
  b.head(b.node('Mul', [up, gate], 'se.mul'), 8, 10);
  return b.model('squeeze_excite', [image('input', 3, 8)], [logits(10)]);
}

/**
 * Channels-last through Transpose: Conv (3 -> 8) on [1, 3, 6, 6], Transpose to NHWC, MatMul (8 -> 6) on the
 * last axis + Relu, ReduceMean over H and W (keepdims 0), Unsqueeze then Squeeze axis 2, Gemm (6 -> 10).
 */
export function buildChannelsLast(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 471);
  const conv = b.conv('conv', 'input', 3, 8);
  const nhwc = b.node('Transpose', [conv], 'nhwc', { perm: { ints: [0, 2, 3, 1] } });
  const linear = b.relu(
    'linear.relu',
    b.node('MatMul', [nhwc, b.weight('linear.weight', [8, 6], 0.4)], 'linear'),
  );
  const pooled = b.node('ReduceMean', [linear], 'pool', { axes: { ints: [1, 2] }, keepdims: { int: 0 } });
  b.initializers.push(makeInt64Tensor('axis2', [1], [2]));
  const unsqueezed = b.node('Unsqueeze', [pooled, 'axis2'], 'unsqueeze');
  const squeezed = b.node('Squeeze', [unsqueezed, 'axis2'], 'squeeze');
  b.node('Gemm', [squeezed, b.weight('fc.weight', [10, 6], 0.4), b.weight('fc.bias', [10], 0.1)], 'logits', {
    transB: { int: 1 },
  });
  return b.model('channels_last', [image('input', 3, 6)], [logits(10)]);
}

/**
 * An upsampling decoder: Conv (3 -> 8) + Relu on [1, 3, 6, 6], ConvTranspose (8 -> 6, 2x2, stride 2) + Relu,
 * Conv (6 -> 4) + Relu, then GAP -> Flatten -> Gemm (10).
 */
export function buildConvTranspose(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 481);
  const enc = b.relu('enc.relu', b.conv('enc', 'input', 3, 8));
  const up = b.node(
    'ConvTranspose',
    [enc, b.weight('up.weight', [8, 6, 2, 2], 0.3), b.weight('up.bias', [6], 0.1)],
    'up',
    {
      kernel_shape: { ints: [2, 2] },
      strides: { ints: [2, 2] },
    },
  );
  const dec = b.relu('dec.relu', b.conv('dec', b.relu('up.relu', up), 6, 4));
  b.head(dec, 4, 10);
  return b.model('conv_transpose', [image('input', 3, 6)], [logits(10)]);
}

/**
 * Channel ties pruning must refuse, each in its own branch, all summed into the logits:
 * - `skip`: Conv (3 -> 3) added to the model input itself (a graph input cannot lose channels);
 * - `grouped`: Conv (3 -> 8) feeding a grouped Conv (group 2, 8 -> 8);
 * - `softmax`: Conv (3 -> 6) followed by a Softmax over the channel axis;
 * - `shared`: two Convs (3 -> 4) sharing one weight initializer;
 * - `features`: Conv (3 -> 5) whose output is also a model output.
 * Every branch ends in GAP -> Flatten -> its own Gemm to 10 classes, and the Gemms are summed.
 */
export function buildUnsafeCnn(options: { seed?: number } = {}): ModelProto {
  const b = new GraphBuilder(options.seed ?? 501);
  const gemmHead = (name: string, x: string, channels: number): string => {
    const gap = b.node('GlobalAveragePool', [x], `${name}.gap`);
    const flat = b.node('Flatten', [gap], `${name}.flat`, { axis: { int: 1 } });
    return b.node(
      'Gemm',
      [flat, b.weight(`${name}.fc.weight`, [10, channels], 0.3), b.weight(`${name}.fc.bias`, [10], 0.1)],
      `${name}.fc`,
      { transB: { int: 1 } },
    );
  };
  const skip = b.node('Add', [b.conv('skip.conv', 'input', 3, 3), 'input'], 'skip.add');
  const grouped = b.conv(
    'grouped.conv2',
    b.relu('grouped.relu', b.conv('grouped.conv1', 'input', 3, 8)),
    8,
    8,
    { group: 2 },
  );
  const softmax = b.node('Softmax', [b.conv('softmax.conv', 'input', 3, 6)], 'softmax.out', {
    axis: { int: 1 },
  });
  const sharedWeight = b.weight('shared.weight', [4, 3, 3, 3], 0.3);
  const s1 = b.node('Conv', ['input', sharedWeight], 'shared.conv1', {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [1, 1, 1, 1] },
  });
  const s2 = b.node('Conv', ['input', sharedWeight], 'shared.conv2', {
    kernel_shape: { ints: [3, 3] },
    pads: { ints: [1, 1, 1, 1] },
  });
  const features = b.relu('features.relu', b.conv('features.conv', 'input', 3, 5));
  const heads = [
    gemmHead('skip', skip, 3),
    gemmHead('grouped', grouped, 8),
    gemmHead('softmax', softmax, 6),
    gemmHead('shared1', s1, 4),
    gemmHead('shared2', s2, 4),
    gemmHead('features', features, 5),
  ];
  b.node('Sum', heads, 'logits');
  return b.model(
    'unsafe_cnn',
    [image('input', 3, 8)],
    [logits(10), makeValueInfo(features, FLOAT, [1, 5, 8, 8])],
  );
}

/**
 * A ResNet-style net for timing and fidelity: input [batch, 3, size, size]; Conv+BN+Relu stem (stride 2),
 * residual stages of `width`, 2x `width` and 4x `width` channels (each: strided Conv+BN+Relu, then a residual
 * block of two Conv+BN with an Add), a depthwise-separable block, then GAP -> Flatten -> Gemm (10).
 */
export function buildBenchCnn(
  options: { seed?: number; width?: number; size?: number; batch?: number | string } = {},
): ModelProto {
  const b = new GraphBuilder(options.seed ?? 601);
  const w = options.width ?? 32;
  const size = options.size ?? 64;
  let x = b.convBn('stem', 'input', 3, w, { stride: 2 });
  let channels = w;
  [w, 2 * w, 4 * w].forEach((width, i) => {
    const down = b.convBn(`stage${i}.down`, x, channels, width, { stride: i === 0 ? 1 : 2 });
    const a = b.convBn(`stage${i}.a`, down, width, width);
    const c = b.convBn(`stage${i}.b`, a, width, width, { relu: false });
    x = b.relu(`stage${i}.relu`, b.node('Add', [c, down], `stage${i}.add`));
    channels = width;
  });
  const dw = b.convBn('sep.dw', x, channels, channels, { group: channels });
  x = b.convBn('sep.pw', dw, channels, 2 * channels, { k: 1 });
  b.head(x, 2 * channels, 10);
  return b.model(
    'bench_cnn',
    [image('input', 3, size, options.batch ?? 1)],
    [logits(10, options.batch ?? 1)],
  );
}

/** The same model with every initializer moved into a Constant node (as some exporters write weights). */
export function withConstantNodeWeights(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const constants = graph.initializer.map((t) =>
    makeNode('Constant', [], [t.name], { name: `const:${t.name}`, attributes: { value: { tensor: t } } }),
  );
  graph.node = [...constants, ...graph.node];
  graph.initializer = [];
  return model;
}

/**
 * Weights inside subgraphs, like the If/Loop models exporters write for control flow: `input` [batch, 8] ->
 * MatMul `in_mm` (in.weight [8, 16]) -> `hidden`; If `branch` (`cond`, bool scalar): then = MatMul `then_mm`
 * with its own initializer then.weight [16, 16], else = MatMul `else_mm` with outer.weight [16, 16], an
 * initializer of the main graph it captures; then Loop `loop` (2 iterations, carrying the If's output):
 * body = MatMul `body_mm` with body.weight [16, 16], held in a Constant node of the body (or, with `bodyWeight:
 * 'initializer'`, a body initializer: the diff's tests), -> Tanh -> `output`.
 */
export function buildSubgraphWeights(
  options: {
    seed?: number;
    batch?: number | string;
    /** Where the Loop body keeps body.weight: a Constant node (default) or a body initializer. */
    bodyWeight?: 'constant' | 'initializer';
  } = {},
): ModelProto {
  const seed = options.seed ?? 71;
  const inInitializer = options.bodyWeight === 'initializer';
  const batch = options.batch ?? 'batch';
  const BOOL = TensorProto_DataType.BOOL;
  const INT64 = TensorProto_DataType.INT64;
  const tensor = (name: string, dims: number[], s: number): TensorProto =>
    randomTensor(name, dims, s, 1 / Math.sqrt(dims[0]!));
  const branch = (name: string, nodes: NodeProto[], initializer: TensorProto[] = []) =>
    create(GraphProtoSchema, {
      name,
      node: nodes,
      input: [],
      output: [makeValueInfo(`${name}.out`, FLOAT, [batch, 16])],
      initializer,
    });
  const thenBranch = branch(
    'then_branch',
    [makeNode('MatMul', ['hidden', 'then.weight'], ['then_branch.out'], { name: 'then_mm' })],
    [tensor('then.weight', [16, 16], seed + 1)],
  );
  const elseBranch = branch('else_branch', [
    makeNode('MatMul', ['hidden', 'outer.weight'], ['else_branch.out'], { name: 'else_mm' }),
  ]);
  const body = create(GraphProtoSchema, {
    name: 'loop_body',
    node: [
      ...(inInitializer
        ? []
        : [
            makeNode('Constant', [], ['body.weight'], {
              name: 'body_const',
              attributes: { value: { tensor: tensor('body.weight', [16, 16], seed + 3) } },
            }),
          ]),
      makeNode('MatMul', ['state', 'body.weight'], ['body.mm'], { name: 'body_mm' }),
      makeNode('Tanh', ['body.mm'], ['state.next'], { name: 'body_tanh' }),
      makeNode('Identity', ['cond.in'], ['cond.out'], { name: 'body_cond' }),
    ],
    input: [
      makeValueInfo('iteration', INT64, []),
      makeValueInfo('cond.in', BOOL, []),
      makeValueInfo('state', FLOAT, [batch, 16]),
    ],
    output: [makeValueInfo('cond.out', BOOL, []), makeValueInfo('state.next', FLOAT, [batch, 16])],
    initializer: inInitializer ? [tensor('body.weight', [16, 16], seed + 3)] : [],
  });
  const graph = create(GraphProtoSchema, {
    name: 'subgraph_weights',
    node: [
      makeNode('MatMul', ['input', 'in.weight'], ['hidden'], { name: 'in_mm' }),
      makeNode('If', ['cond'], ['if.out'], {
        name: 'branch',
        attributes: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
      }),
      makeNode('Loop', ['trip', 'keep_going', 'if.out'], ['output'], {
        name: 'loop',
        attributes: { body: { graph: body } },
      }),
    ],
    input: [makeValueInfo('input', FLOAT, [batch, 8]), makeValueInfo('cond', BOOL, [])],
    output: [makeValueInfo('output', FLOAT, [batch, 16])],
    initializer: [
      tensor('in.weight', [8, 16], seed),
      tensor('outer.weight', [16, 16], seed + 2),
      makeInt64Tensor('trip', [], [2]),
      makeRawTensor('keep_going', BOOL, [], new Uint8Array([1])),
    ],
  });
  return makeModel(graph);
}

/**
 * The same model with the named float32 initializers stored as float16 and cast back to float at run time,
 * as half-precision checkpoints of float32 models are exported: initializer `W` becomes `W.fp16` (float16)
 * and a Cast `cast:W` (to float) in front of the graph produces `W` again.
 */
export function withHalfPrecisionWeights(model: ModelProto, names: readonly string[]): ModelProto {
  const graph = model.graph!;
  const casts: NodeProto[] = [];
  graph.initializer = graph.initializer.map((t) => {
    if (!names.includes(t.name)) return t;
    const half = float32ArrayToFloat16(decodeToFloat32(t));
    casts.push(
      makeNode('Cast', [`${t.name}.fp16`], [t.name], {
        name: `cast:${t.name}`,
        attributes: { to: { int: FLOAT } },
      }),
    );
    return makeRawTensor(`${t.name}.fp16`, TensorProto_DataType.FLOAT16, t.dims, littleEndianBytes(half));
  });
  graph.node = [...casts, ...graph.node];
  return model;
}
