import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
} from 'onnx-buf';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeModel, mulberry32 } from './model-fixtures.js';

/*
 * A MobileNetV3-style text detector (DBNet-like) built in code, for the int8 conv-net benchmarks
 * (`npm run bench:islands`) and tests, and reusable by anything that needs a realistic conv net with the
 * ops real detectors export. NCHW, input `image` [1, 3, height, width] (open H/W, multiples of 32), output
 * `prob` [1, 1, height, width] (a probability map):
 *
 *   stem     Conv 3x3 s2 (3 -> 16) + BN + HardSwish (the op torch exports for nn.Hardswish at opset 14+)
 *   b1       dw 3x3 s2 + BN + Relu, squeeze-excite, pw 1x1 -> 16           (1/4, C2)
 *   b2, b3   inverted residuals 16 -> 24 (s2) and 24 -> 24 (+ residual Add)   (1/8, C3)
 *   b4, b5   expand + hard-swish, dw 5x5, SE, project -> 40 (s2, then residual) (1/16, C4)
 *   b6       expand + hard-swish, dw 3x3 s2, SE, project -> 80                (1/32, C5)
 *   fpn      1x1 laterals to 64 channels, top-down Resize(x2) + Add, 3x3 smoothing convs to 16 channels,
 *            Resize to 1/4 and Concat (64 channels)
 *   head     Conv 3x3 + BN + Relu, ConvTranspose 2x2 s2 + BN + Relu, ConvTranspose 2x2 s2 -> 1, Sigmoid
 *
 * Hard-swish inside the blocks is the hand-written x * Relu6(x + 3) / 6 (Add, Clip, Div, Mul), as many
 * detector exports have it (PaddleOCR's, and torch models that spell it out); the stem uses the
 * HardSwish op. Squeeze-excite is GlobalAveragePool -> Conv 1x1 + Relu -> Conv 1x1 -> HardSigmoid
 * (alpha 1/6, what torch exports for nn.Hardsigmoid) -> Mul. Every Conv is followed by a
 * BatchNormalization with non-trivial statistics (folded by the quantizer's pre-optimization).
 *
 * Weights are deterministic (mulberry32) He-uniform with BatchNorm scales in [0.6, 1.4], so activations
 * keep a sensible range through the net; the net is untrained. `detectorSamples` gives text-like images.
 * `fpnOutlierScale` adds what untrained weights lack and trained FPNs have: a few channels much larger
 * than the rest (same float function; harder 8-bit activations).
 */

const FLOAT = TensorProto_DataType.FLOAT;

export interface DetectorOptions {
  /** Height and width of the input: a size or a symbolic name (default 'height' / 'width'). */
  height?: number | string;
  width?: number | string;
  /** Resize mode of the FPN upsampling (default 'nearest', as DBNet's). */
  upsample?: 'nearest' | 'linear';
  seed?: number;
  /** Default-domain opset (default 17; HardSwish needs 14). */
  opset?: number;
  /**
   * Outlier channels in the FPN, as trained detectors have them: FPN_OUTLIER_CHANNELS of every lateral are
   * this many times larger, and the smoothing convs divide them back, so the float model computes the same
   * function while its FPN activations span a range that per-tensor 8-bit scales share badly (default 1:
   * none).
   */
  fpnOutlierScale?: number;
}

/** The FPN channels `fpnOutlierScale` enlarges. */
export const FPN_OUTLIER_CHANNELS = [5, 38];

class DetectorBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #next: () => number;
  readonly #consts = new Map<string, string>();

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

  /** A shared scalar float constant. */
  scalar(value: number): string {
    const key = String(value);
    let name = this.#consts.get(key);
    if (!name) {
      name = `const_${key.replace(/[^0-9a-z]/gi, '_')}`;
      this.weight(name, [], Float32Array.of(value));
      this.#consts.set(key, name);
    }
    return name;
  }

  node(op: string, inputs: string[], name: string, attributes: Parameters<typeof makeNode>[3] = {}): string {
    const out = `${name}.out`;
    this.nodes.push(makeNode(op, inputs, [out], { name, ...attributes }));
    return out;
  }

  /** Conv (no bias) + BatchNormalization. */
  convBn(
    name: string,
    input: string,
    cin: number,
    cout: number,
    k: number,
    options: { stride?: number; group?: number } = {},
  ): string {
    const group = options.group ?? 1;
    const fanIn = (cin / group) * k * k;
    const bound = Math.sqrt(6 / fanIn);
    const w = this.weight(
      `${name}.weight`,
      [cout, cin / group, k, k],
      this.uniform(cout * (cin / group) * k * k, -bound, bound),
    );
    const pad = Math.floor(k / 2);
    const s = options.stride ?? 1;
    const conv = this.node('Conv', [input, w], name, {
      attributes: {
        kernel_shape: { ints: [k, k] },
        pads: { ints: [pad, pad, pad, pad] },
        strides: { ints: [s, s] },
        group: { int: group },
      },
    });
    return this.bn(`${name}.bn`, conv, cout);
  }

  bn(name: string, input: string, channels: number): string {
    const inputs = [
      input,
      this.weight(`${name}.weight`, [channels], this.uniform(channels, 0.6, 1.4)),
      this.weight(`${name}.bias`, [channels], this.uniform(channels, -0.2, 0.3)),
      this.weight(`${name}.running_mean`, [channels], this.uniform(channels, -0.2, 0.2)),
      this.weight(`${name}.running_var`, [channels], this.uniform(channels, 0.5, 2.0)),
    ];
    return this.node('BatchNormalization', inputs, name, { attributes: { epsilon: { float: 1e-5 } } });
  }

  relu(name: string, input: string): string {
    return this.node('Relu', [input], name);
  }

  /** x * Relu6(x + 3) / 6 as Add, Clip, Div, Mul (the hand-written hard-swish). */
  hardSwishPattern(name: string, input: string): string {
    const add = this.node('Add', [input, this.scalar(3)], `${name}.add`);
    const clip = this.node('Clip', [add, this.scalar(0), this.scalar(6)], `${name}.clip`);
    const div = this.node('Div', [clip, this.scalar(6)], `${name}.div`);
    return this.node('Mul', [input, div], `${name}.mul`);
  }

  squeezeExcite(name: string, input: string, channels: number): string {
    const squeezed = Math.max(8, Math.round(channels / 4));
    const pooled = this.node('GlobalAveragePool', [input], `${name}.pool`);
    const fc1 = this.conv1x1Bias(`${name}.fc1`, pooled, channels, squeezed);
    const act = this.relu(`${name}.relu`, fc1);
    const fc2 = this.conv1x1Bias(`${name}.fc2`, act, squeezed, channels);
    const gate = this.node('HardSigmoid', [fc2], `${name}.hsig`, {
      attributes: { alpha: { float: 1 / 6 }, beta: { float: 0.5 } },
    });
    return this.node('Mul', [input, gate], `${name}.scale`);
  }

  conv1x1Bias(name: string, input: string, cin: number, cout: number): string {
    const bound = Math.sqrt(6 / cin);
    const w = this.weight(`${name}.weight`, [cout, cin, 1, 1], this.uniform(cout * cin, -bound, bound));
    const b = this.weight(`${name}.bias`, [cout], this.uniform(cout, -0.1, 0.3));
    return this.node('Conv', [input, w, b], name, { attributes: { kernel_shape: { ints: [1, 1] } } });
  }

  /** Inverted residual: [expand 1x1 + act] -> dw kxk + act -> [SE] -> project 1x1 [+ input]. */
  invertedResidual(
    name: string,
    input: string,
    cin: number,
    expand: number,
    cout: number,
    k: number,
    stride: number,
    options: { hardSwish: boolean; se: boolean },
  ): string {
    const act = (n: string, x: string): string =>
      options.hardSwish ? this.hardSwishPattern(n, x) : this.relu(n, x);
    let x = input;
    if (expand !== cin) x = act(`${name}.expand_act`, this.convBn(`${name}.expand`, x, cin, expand, 1));
    x = act(`${name}.dw_act`, this.convBn(`${name}.dw`, x, expand, expand, k, { stride, group: expand }));
    if (options.se) x = this.squeezeExcite(`${name}.se`, x, expand);
    x = this.convBn(`${name}.project`, x, expand, cout, 1);
    if (stride === 1 && cin === cout) x = this.node('Add', [x, input], `${name}.add`);
    return x;
  }

  resize(name: string, input: string, factor: number, mode: 'nearest' | 'linear'): string {
    const scales = this.weight(`${name}.scales`, [4], Float32Array.of(1, 1, factor, factor));
    return this.node('Resize', [input, '', scales], name, {
      attributes: {
        mode: { string: mode },
        ...(mode === 'nearest' ? { nearest_mode: { string: 'floor' } } : {}),
        coordinate_transformation_mode: { string: mode === 'nearest' ? 'asymmetric' : 'half_pixel' },
      },
    });
  }

  convTransposeBn(name: string, input: string, cin: number, cout: number, bn: boolean): string {
    const bound = Math.sqrt(6 / cin);
    const w = this.weight(`${name}.weight`, [cin, cout, 2, 2], this.uniform(cin * cout * 4, -bound, bound));
    const inputs = [input, w];
    if (!bn) inputs.push(this.weight(`${name}.bias`, [cout], this.uniform(cout, -0.5, 0.5)));
    const out = this.node('ConvTranspose', inputs, name, {
      attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
    });
    return bn ? this.bn(`${name}.bn`, out, cout) : out;
  }
}

/** Channels of the FPN laterals (the Concat has this many too). */
export const DETECTOR_FPN_CHANNELS = 64;

/** Builds the detector (see the module comment). */
export function buildTextDetector(options: DetectorOptions = {}): ModelProto {
  const b = new DetectorBuilder(options.seed ?? 2024);
  const mode = options.upsample ?? 'nearest';
  const height = options.height ?? 'height';
  const width = options.width ?? 'width';

  // Backbone.
  let x = b.convBn('stem', 'image', 3, 16, 3, { stride: 2 });
  x = b.node('HardSwish', [x], 'stem.hswish');
  const c2 = b.invertedResidual('b1', x, 16, 16, 16, 3, 2, { hardSwish: false, se: true });
  x = b.invertedResidual('b2', c2, 16, 64, 24, 3, 2, { hardSwish: false, se: false });
  const c3 = b.invertedResidual('b3', x, 24, 72, 24, 3, 1, { hardSwish: false, se: false });
  x = b.invertedResidual('b4', c3, 24, 96, 40, 5, 2, { hardSwish: true, se: true });
  const c4 = b.invertedResidual('b5', x, 40, 120, 40, 5, 1, { hardSwish: true, se: true });
  const c5 = b.invertedResidual('b6', c4, 40, 240, 80, 3, 2, { hardSwish: true, se: true });

  // FPN (DBNet's): laterals, top-down Resize + Add, smoothing, upsample to 1/4 and Concat.
  const f = DETECTOR_FPN_CHANNELS;
  const outlier = options.fpnOutlierScale ?? 1;
  const lateral = (name: string, input: string, cin: number): string => {
    const bound = Math.sqrt(6 / cin);
    const values = b.uniform(f * cin, -bound, bound);
    for (const c of FPN_OUTLIER_CHANNELS) for (let i = 0; i < cin; i++) values[c * cin + i]! *= outlier;
    const w = b.weight(`${name}.weight`, [f, cin, 1, 1], values);
    return b.node('Conv', [input, w], name, { attributes: { kernel_shape: { ints: [1, 1] } } });
  };
  const in5 = lateral('fpn.in5', c5, 80);
  const in4 = lateral('fpn.in4', c4, 40);
  const in3 = lateral('fpn.in3', c3, 24);
  const in2 = lateral('fpn.in2', c2, 16);
  const out4 = b.node('Add', [in4, b.resize('fpn.up5', in5, 2, mode)], 'fpn.add4');
  const out3 = b.node('Add', [in3, b.resize('fpn.up4', out4, 2, mode)], 'fpn.add3');
  const out2 = b.node('Add', [in2, b.resize('fpn.up3', out3, 2, mode)], 'fpn.add2');
  const smooth = (name: string, input: string): string => {
    const bound = Math.sqrt(6 / (f * 9));
    const values = b.uniform((f / 4) * f * 9, -bound, bound);
    for (let o = 0; o < f / 4; o++) {
      for (const c of FPN_OUTLIER_CHANNELS)
        for (let k = 0; k < 9; k++) values[(o * f + c) * 9 + k]! /= outlier;
    }
    const w = b.weight(`${name}.weight`, [f / 4, f, 3, 3], values);
    return b.node('Conv', [input, w], name, {
      attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
    });
  };
  const p5 = b.resize('fpn.p5_up', smooth('fpn.p5', in5), 8, mode);
  const p4 = b.resize('fpn.p4_up', smooth('fpn.p4', out4), 4, mode);
  const p3 = b.resize('fpn.p3_up', smooth('fpn.p3', out3), 2, mode);
  const p2 = smooth('fpn.p2', out2);
  const fuse = b.node('Concat', [p5, p4, p3, p2], 'fpn.concat', { attributes: { axis: { int: 1 } } });

  // Head: Conv + BN + Relu, two ConvTranspose 2x2 s2 back to full resolution, Sigmoid.
  x = b.relu('head.relu1', b.convBn('head.conv', fuse, f, f / 4, 3));
  x = b.relu('head.relu2', b.convTransposeBn('head.up1', x, f / 4, f / 4, true));
  x = b.convTransposeBn('head.up2', x, f / 4, 1, false);
  b.nodes.push(makeNode('Sigmoid', [x], ['prob'], { name: 'head.sigmoid' }));

  const graph = create(GraphProtoSchema, {
    name: 'text_detector_mbv3',
    node: b.nodes,
    input: [makeValueInfo('image', FLOAT, [1, 3, height, width])],
    output: [makeValueInfo('prob', FLOAT, [1, 1, height, width])],
    initializer: b.initializers,
  });
  return makeModel(graph, options.opset ?? 17);
}

/**
 * Deterministic text-like images [1, 3, height, width] (flat, ImageNet-normalized): a light paper
 * background with a gentle illumination gradient and noise, and lines of dark "words" made of
 * strokes (vertical bars, arcs, crossbars) of varying height, ink colour and spacing, some on a tinted
 * band. Far closer to what a text detector sees than uniform noise: mostly flat regions with sharp,
 * thin, high-contrast structures.
 */
export function detectorSamples(count: number, height: number, width: number, seed = 11): Float32Array[] {
  const next = mulberry32(seed);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const out: Float32Array[] = [];
  const plane = height * width;
  for (let s = 0; s < count; s++) {
    const rgb = [new Float32Array(plane), new Float32Array(plane), new Float32Array(plane)];
    const paper = [0.85 + 0.1 * next(), 0.82 + 0.1 * next(), 0.75 + 0.15 * next()];
    const gx = (next() - 0.5) * 0.2;
    const gy = (next() - 0.5) * 0.2;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const shade = 1 + gx * (x / width - 0.5) + gy * (y / height - 0.5);
        for (let c = 0; c < 3; c++) rgb[c]![y * width + x] = paper[c]! * shade + 0.02 * (next() - 0.5);
      }
    const paint = (x0: number, y0: number, w: number, h: number, ink: number[]): void => {
      for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++)
        for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++)
          for (let c = 0; c < 3; c++) rgb[c]![y * width + x] = ink[c]!;
    };
    let y = Math.floor(height * 0.05 * next()) + 4;
    while (y < height - 8) {
      const size = 8 + Math.floor(next() * 24);
      const ink = next() < 0.8 ? [0.1 * next(), 0.1 * next(), 0.15 * next()] : [0.6, 0.1, 0.1];
      if (next() < 0.2) {
        const band = [0.6 + 0.3 * next(), 0.7 + 0.2 * next(), 0.8 * next() + 0.2];
        paint(0, y - 3, width, size + 6, band);
      }
      let x = Math.floor(next() * width * 0.2) + 4;
      const stroke = Math.max(1, Math.round(size / 8));
      while (x < width - size) {
        const letters = 2 + Math.floor(next() * 8);
        for (let l = 0; l < letters && x < width - size; l++) {
          const lw = Math.round(size * (0.4 + 0.3 * next()));
          const tall = next() < 0.3 ? Math.round(size * 0.3) : 0;
          paint(x, y - tall, stroke, size + tall, ink); // left stem
          if (next() < 0.7) paint(x + lw - stroke, y, stroke, size, ink); // right stem
          const bar = y + Math.floor(next() * size);
          paint(x, bar, lw, stroke, ink); // crossbar
          if (next() < 0.5) paint(x, y, lw, stroke, ink); // top
          if (next() < 0.5) paint(x, y + size - stroke, lw, stroke, ink); // bottom
          x += lw + stroke + Math.floor(next() * 3);
        }
        x += Math.round(size * (0.5 + next()));
      }
      y += size + 6 + Math.floor(next() * size * 1.5);
    }
    const data = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < plane; i++) data[c * plane + i] = (rgb[c]![i]! - mean[c]!) / std[c]!;
    out.push(data);
  }
  return out;
}
