import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
} from 'onnx-buf';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeModel, mulberry32, randomTensor } from './model-fixtures.js';

/*
 * Convolutional test models built in code, shared by the quantizer, the pruner and the benchmarks.
 *
 * The network is a small ResNet/MobileNet hybrid in NCHW:
 *   stem        Conv + BatchNorm + Relu                      (optionally strided)
 *   residual    Conv+BN+Relu -> Conv+BN -> Add(block input) -> Relu
 *   [down]      Conv(stride 2)+BN+Relu -> residual block      (large variant only)
 *   MaxPool 2x2                                               (small variant only)
 *   separable   depthwise Conv(group = C)+BN+Relu -> pointwise 1x1 Conv+BN+Relu
 *   head        GlobalAveragePool -> Flatten -> Gemm(transB) -> `logits`
 *
 * Weights are seeded (mulberry32) with He-style scales so activations keep a sensible range through
 * the blocks, and BatchNorm statistics are non-trivial (so folding them changes the weights). Every
 * value is named after its layer (`stem.conv.weight`, `block1.bn2.running_var`, ...) and every node
 * has a name, so tests can exclude or look up layers by name.
 */

const FLOAT = TensorProto_DataType.FLOAT;

export type ConvNetVariant = 'small' | 'large';

export interface ConvNetOptions {
  /** 'small' (3x16x16 input, 8-16 channels, 6 convs) or 'large' (3x64x64, 32-64 channels, 8 convs). */
  variant?: ConvNetVariant;
  /** The batch dimension: a size or a symbolic name (default 1). */
  batch?: number | string;
  numClasses?: number;
  seed?: number;
  /** Default-domain opset of the model (default 17; BatchNormalization and Conv forms are valid from 9). */
  opset?: number;
}

/** The input shape (without batch) of a variant. */
export function convNetInputShape(variant: ConvNetVariant = 'small'): [number, number, number] {
  return variant === 'large' ? [3, 64, 64] : [3, 16, 16];
}

/** The names of the Conv nodes of a variant, in graph order. */
export function convNetConvNames(variant: ConvNetVariant = 'small'): string[] {
  return variant === 'large'
    ? [
        'stem.conv',
        'block1.conv1',
        'block1.conv2',
        'down.conv',
        'block2.conv1',
        'block2.conv2',
        'sep.dw',
        'sep.pw',
      ]
    : ['stem.conv', 'block1.conv1', 'block1.conv2', 'sep.dw', 'sep.pw'];
}

class Builder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  uniform(count: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * this.#next();
    return out;
  }

  weight(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push(makeFloatTensor(name, dims, values));
    return name;
  }

  /** Conv (no bias: BatchNorm follows) + BatchNormalization [+ Relu]; returns the output value. */
  convBn(
    prefix: string,
    convName: string,
    bnName: string,
    input: string,
    cin: number,
    cout: number,
    options: { kernel: number; stride?: number; group?: number; relu: boolean; reluName?: string },
  ): string {
    const k = options.kernel;
    const group = options.group ?? 1;
    const fanIn = (cin / group) * k * k;
    const bound = Math.sqrt(6 / fanIn);
    const w = this.weight(
      `${prefix}.${convName}.weight`,
      [cout, cin / group, k, k],
      this.uniform(cout * (cin / group) * k * k, -bound, bound),
    );
    const pad = Math.floor(k / 2);
    const convOut = `${prefix}.${convName}.out`;
    this.nodes.push(
      makeNode('Conv', [input, w], [convOut], {
        name: `${prefix}.${convName}`,
        attributes: {
          kernel_shape: { ints: [k, k] },
          pads: { ints: [pad, pad, pad, pad] },
          strides: { ints: [options.stride ?? 1, options.stride ?? 1] },
          group: { int: group },
          dilations: { ints: [1, 1] },
        },
      }),
    );
    const bn = `${prefix}.${bnName}`;
    const scale = this.weight(`${bn}.weight`, [cout], this.uniform(cout, 0.6, 1.4));
    const bias = this.weight(`${bn}.bias`, [cout], this.uniform(cout, -0.2, 0.3));
    const mean = this.weight(`${bn}.running_mean`, [cout], this.uniform(cout, -0.2, 0.2));
    const variance = this.weight(`${bn}.running_var`, [cout], this.uniform(cout, 0.5, 2.0));
    const bnOut = `${bn}.out`;
    this.nodes.push(
      makeNode('BatchNormalization', [convOut, scale, bias, mean, variance], [bnOut], {
        name: bn,
        attributes: { epsilon: { float: 1e-5 } },
      }),
    );
    if (!options.relu) return bnOut;
    const reluName = options.reluName ?? `${prefix}.relu${bnName.replace(/^bn/, '')}`;
    const reluOut = `${reluName}.out`;
    this.nodes.push(makeNode('Relu', [bnOut], [reluOut], { name: reluName }));
    return reluOut;
  }

  residual(prefix: string, input: string, channels: number): string {
    const a = this.convBn(prefix, 'conv1', 'bn1', input, channels, channels, { kernel: 3, relu: true });
    const b = this.convBn(prefix, 'conv2', 'bn2', a, channels, channels, { kernel: 3, relu: false });
    const sum = `${prefix}.add.out`;
    this.nodes.push(makeNode('Add', [b, input], [sum], { name: `${prefix}.add` }));
    const out = `${prefix}.relu.out`;
    this.nodes.push(makeNode('Relu', [sum], [out], { name: `${prefix}.relu` }));
    return out;
  }
}

/**
 * The fixture CNN (see the module comment). `input` [batch, 3, H, W] -> `logits` [batch, numClasses].
 * Small: 3x16x16, channels 8 -> 8 -> 16, about 3k weights. Large: 3x64x64, channels 32 -> 64, about 120k
 * weights and ~50 MFLOPs per image: big enough for latency figures to mean something.
 */
export function buildConvNet(options: ConvNetOptions = {}): ModelProto {
  const variant = options.variant ?? 'small';
  const batch = options.batch ?? 1;
  const classes = options.numClasses ?? 10;
  const seed = options.seed ?? (variant === 'large' ? 101 : 51);
  const b = new Builder(seed);
  const [cin, h, w] = convNetInputShape(variant);

  let x: string;
  let channels: number;
  if (variant === 'small') {
    x = b.convBn('stem', 'conv', 'bn', 'input', cin, 8, { kernel: 3, relu: true, reluName: 'stem.relu' });
    x = b.residual('block1', x, 8);
    b.nodes.push(
      makeNode('MaxPool', [x], ['pool.out'], {
        name: 'pool',
        attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
      }),
    );
    x = 'pool.out';
    x = b.convBn('sep', 'dw', 'dw_bn', x, 8, 8, { kernel: 3, group: 8, relu: true, reluName: 'sep.dw_relu' });
    x = b.convBn('sep', 'pw', 'pw_bn', x, 8, 16, { kernel: 1, relu: true, reluName: 'sep.pw_relu' });
    channels = 16;
  } else {
    x = b.convBn('stem', 'conv', 'bn', 'input', cin, 32, {
      kernel: 3,
      stride: 2,
      relu: true,
      reluName: 'stem.relu',
    });
    x = b.residual('block1', x, 32);
    x = b.convBn('down', 'conv', 'bn', x, 32, 64, {
      kernel: 3,
      stride: 2,
      relu: true,
      reluName: 'down.relu',
    });
    x = b.residual('block2', x, 64);
    x = b.convBn('sep', 'dw', 'dw_bn', x, 64, 64, {
      kernel: 3,
      group: 64,
      relu: true,
      reluName: 'sep.dw_relu',
    });
    x = b.convBn('sep', 'pw', 'pw_bn', x, 64, 64, { kernel: 1, relu: true, reluName: 'sep.pw_relu' });
    channels = 64;
  }
  b.nodes.push(makeNode('GlobalAveragePool', [x], ['gap.out'], { name: 'gap' }));
  b.nodes.push(
    makeNode('Flatten', ['gap.out'], ['flatten.out'], { name: 'flatten', attributes: { axis: { int: 1 } } }),
  );
  const bound = Math.sqrt(6 / channels);
  b.weight('fc.weight', [classes, channels], b.uniform(classes * channels, -bound, bound));
  b.weight('fc.bias', [classes], b.uniform(classes, -0.1, 0.1));
  b.nodes.push(
    makeNode('Gemm', ['flatten.out', 'fc.weight', 'fc.bias'], ['logits'], {
      name: 'fc',
      attributes: { transB: { int: 1 } },
    }),
  );

  const graph = create(GraphProtoSchema, {
    name: `convnet_${variant}`,
    node: b.nodes,
    input: [makeValueInfo('input', FLOAT, [batch, cin, h, w])],
    output: [makeValueInfo('logits', FLOAT, [batch, classes])],
    initializer: b.initializers,
  });
  return makeModel(graph, options.opset);
}

/**
 * Deterministic "image-like" inputs for a conv fixture: smooth per-channel patterns plus noise,
 * so activations look more like real data than white noise does. Returns `count` samples of
 * [1, 3, H, W] as flat arrays.
 */
export function convNetSamples(
  count: number,
  options: { variant?: ConvNetVariant; seed?: number } = {},
): Float32Array[] {
  const [c, h, w] = convNetInputShape(options.variant ?? 'small');
  const next = mulberry32(options.seed ?? 7);
  const out: Float32Array[] = [];
  for (let s = 0; s < count; s++) {
    const data = new Float32Array(c * h * w);
    for (let ch = 0; ch < c; ch++) {
      const fx = 0.5 + 3 * next();
      const fy = 0.5 + 3 * next();
      const phase = 2 * Math.PI * next();
      const amp = 0.5 + next();
      const offset = next() - 0.5;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v =
            amp * Math.sin(((fx * x) / w) * 2 * Math.PI + ((fy * y) / h) * 2 * Math.PI + phase) + offset;
          data[(ch * h + y) * w + x] = v + 0.3 * (next() * 2 - 1);
        }
      }
    }
    out.push(data);
  }
  return out;
}

export interface OcrLineNetOptions {
  /** The text line's height and width: input `x` [1, 3, height, width] (default 48 x 200). */
  height?: number;
  width?: number;
  /** Output channels of each Conv + Relu stage, in order (default [8, 16]). */
  channels?: number[];
  /** Stage i (from 1) draws its weight from `seed + 2 (i - 1)` and its bias from the next seed (default 1). */
  seed?: number;
  /** Weights and biases are uniform in [-scale, scale) (default 0.3 both). */
  weightScale?: number;
  biasScale?: number;
}

/**
 * A text-line (OCR) front end at opset 13, every node named: `x` [1, 3, H, W] -> per stage i (from 1) a 3x3
 * Conv `conv{i}` (pad 1, with bias) and a Relu `relu{i}` (output `relu{i}.out`), with a 2x2 MaxPool `pool{i}`
 * (stride 2) between stages -> ReduceMean `rmean` over the height (axis 2, kept) -> `y` [1, C, 1, W'].
 * int8-static keeps its first Conv float (it reads the 3-channel input, unless told to quantize it) and folds
 * each Relu into its Conv's output quantization. Not the app's text-line model (awkward-models.ts): this one
 * has fixed dims, biases and pools.
 */
export function buildOcrLineNet(options: OcrLineNetOptions = {}): ModelProto {
  const { height = 48, width = 200, channels = [8, 16], seed = 1 } = options;
  const { weightScale = 0.3, biasScale = 0.3 } = options;
  const initializers: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  let x = 'x';
  let cin = 3;
  let w = width;
  channels.forEach((cout, index) => {
    const i = index + 1;
    if (i > 1) {
      nodes.push(
        makeNode('MaxPool', [x], [`pool${i - 1}.out`], {
          name: `pool${i - 1}`,
          attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
        }),
      );
      x = `pool${i - 1}.out`;
      w = Math.floor(w / 2);
    }
    const s = seed + 2 * index;
    initializers.push(
      randomTensor(`conv${i}.weight`, [cout, cin, 3, 3], s, weightScale),
      randomTensor(`conv${i}.bias`, [cout], s + 1, biasScale),
    );
    nodes.push(
      makeNode('Conv', [x, `conv${i}.weight`, `conv${i}.bias`], [`conv${i}.out`], {
        name: `conv${i}`,
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
      makeNode('Relu', [`conv${i}.out`], [`relu${i}.out`], { name: `relu${i}` }),
    );
    x = `relu${i}.out`;
    cin = cout;
  });
  nodes.push(
    makeNode('ReduceMean', [x], ['y'], {
      name: 'rmean',
      attributes: { axes: { ints: [2] }, keepdims: { int: 1 } },
    }),
  );
  const graph = create(GraphProtoSchema, {
    name: 'ocr_line',
    node: nodes,
    input: [makeValueInfo('x', FLOAT, [1, 3, height, width])],
    output: [makeValueInfo('y', FLOAT, [1, cin, 1, w])],
    initializer: initializers,
  });
  return makeModel(graph, 13);
}
