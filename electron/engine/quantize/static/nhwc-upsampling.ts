import type { GraphProto, NodeProto } from 'onnx-buf';
import { intAttribute, intsAttribute, stringAttribute } from '../../onnx/attributes.js';
import { makeFloatTensor, makeInt64Tensor, makeNode } from '../../onnx/graph-build.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  normalizeDomain,
  sortNodesTopologically,
} from '../../onnx/graph.js';
import { resolveStoredFloat32 } from './qdq-plan.js';

/*
 * Upsampling in int8 conv nets, rewritten for onnxruntime's CPU provider (graph optimization 'all').
 *
 * There, every QLinearConv runs channels-last (NHWC) and the layout transformer pushes its Transposes
 * through the ops around it, including an 8-bit Resize. onnxruntime's channels-last nearest Resize is a
 * generic per-element loop: on the detector fixture (bench:islands) the FPN's five Resizes took 4-5 ms of
 * an 18 ms int8 run, where the float model's NCHWc Upsample took 0.5 ms. ConvTranspose has no integer
 * kernel at all, so it stays float between a DequantizeLinear and a QuantizeLinear.
 *
 * Both are pure data movement around a small computation, and written channels-last they become ops
 * onnxruntime runs on 8-bit data with block copies (Transpose/Reshape/Unsqueeze/Expand; its QDQ rules
 * drop the DQ -> op -> Q around each):
 *
 *   Resize, nearest, integer scales [1, 1, sH, sW] (an exact replication, see `isReplication`):
 *     Transpose to NHWC -> Unsqueeze [N, H, 1, W, 1, C] -> Expand [N, H, sH, W, sW, C]
 *     -> Reshape [N, sH*H, sW*W, C] -> Transpose to NCHW
 *   ConvTranspose with kernel == stride (no overlap: DBNet heads, U-Net decoders, FPN 2x2 deconvs):
 *     a 1x1 Conv to kH*kW*C_out channels (a QLinearConv), then the same NHWC pixel shuffle:
 *     Transpose to NHWC -> Reshape [N, H, W, kH, kW, C] -> Transpose [N, H, kH, W, kW, C]
 *     -> Reshape [N, kH*H, kW*W, C] -> Transpose to NCHW
 *
 * The outer Transposes cancel against the ones the layout transformer puts around the neighbouring
 * QLinearConvs, so what runs is the Expand or the inner Transpose on 8-bit data. A Relu right after the
 * ConvTranspose moves before the shuffle (it commutes with data movement), where the Conv's output
 * quantizer absorbs it. Reshape targets come from Shape (H and W may be symbolic).
 *
 * Only ops whose input comes from an op the quantizer runs in 8 bits are rewritten: in a float
 * neighbourhood the NCHW forms are faster. Results are equal to the originals up to float32 rounding
 * (the ConvTranspose's sums are the Conv's, in another order).
 */

export interface UpsamplingRewriteOptions {
  /** Op types whose output the planner quantizes. */
  quantizedProducers: ReadonlySet<string>;
  /** Nodes of those op types that the planner keeps float all the same (see qdq-plan's inputConvStaysFloat). */
  floatNodes?: (node: NodeProto, index: GraphIndex) => boolean;
  /** Which rewrites the selected op types allow (Resize: 'Resize'; ConvTranspose becomes a Conv: 'Conv'). */
  opTypes: ReadonlySet<string>;
  excludeNodes: ReadonlySet<string>;
  /** Default-domain opset (Unsqueeze takes its axes as an input from 13). */
  opset: number;
}

export interface UpsamplingRewriteCount {
  resize: number;
  convTranspose: number;
}

/** Largest integer scale rewritten (larger ones are rare and a 6-D Expand of them gains nothing more). */
const MAX_SCALE = 16;

/**
 * Whether nearest Resize by integer scale `s` picks input index floor(x / s) for every output x, that is,
 * replicates each pixel s times (the only case the Expand rewrite reproduces).
 *   asymmetric: x / s rounded by nearest_mode; floor always, round_prefer_floor only for s = 2 (ties at .5).
 *   half_pixel / pytorch_half_pixel: (x + 0.5) / s - 0.5 lies strictly within 0.5 of floor(x / s), so both
 *   rounding modes give it; floor and ceil do not.
 */
export function isReplication(coordinateMode: string, nearestMode: string, scale: number): boolean {
  if (scale === 1) return true;
  if (coordinateMode === 'asymmetric') {
    return nearestMode === 'floor' || (nearestMode === 'round_prefer_floor' && scale === 2);
  }
  if (coordinateMode === 'half_pixel' || coordinateMode === 'pytorch_half_pixel') {
    return nearestMode === 'round_prefer_floor' || nearestMode === 'round_prefer_ceil';
  }
  return false;
}

class Rewriter {
  readonly #graph: GraphProto;
  readonly #index: GraphIndex;
  readonly #names: UniqueNameGenerator;
  readonly #options: UpsamplingRewriteOptions;

  constructor(graph: GraphProto, options: UpsamplingRewriteOptions) {
    this.#graph = graph;
    this.#index = new GraphIndex(graph);
    this.#names = new UniqueNameGenerator(graph);
    this.#options = options;
  }

  /** Whether `name` is produced by a default-domain op the quantizer runs in 8 bits. */
  inputIsQuantized(name: string): boolean {
    const producer = this.#index.producer(name)?.node;
    return (
      !!producer &&
      normalizeDomain(producer.domain) === '' &&
      !this.#options.excludeNodes.has(producer.name) &&
      this.#options.quantizedProducers.has(producer.opType) &&
      !this.#options.floatNodes?.(producer, this.#index)
    );
  }

  floatValues(name: string | undefined): { dims: number[]; values: Float32Array } | undefined {
    return resolveStoredFloat32(this.#index, name);
  }

  name(base: string): string {
    return this.#names.next(base);
  }

  int64(base: string, values: number[]): string {
    const name = this.name(base);
    this.#graph.initializer.push(makeInt64Tensor(name, [values.length], values));
    return name;
  }

  /** A Transpose of `input` from NCHW to NHWC. */
  /**
   * Both rewrites end alike: the upsampled shape's nodes, `blocks` reshaped to that NHWC shape as
   * `upsampled`, and a Transpose back to NCHW as `y`.
   */
  mergeToNchw(
    base: string,
    blocks: string,
    shapeNodes: NodeProto[],
    upsampled: string,
    y: string,
  ): NodeProto[] {
    return [
      ...shapeNodes,
      makeNode('Reshape', [blocks, shapeNodes.at(-1)!.output[0]!], [upsampled], {
        name: this.name(`${base}/merge`),
      }),
      makeNode('Transpose', [upsampled], [y], {
        name: this.name(`${base}/to_nchw`),
        attributes: { perm: { ints: [0, 3, 1, 2] } },
      }),
    ];
  }

  toNhwc(base: string, input: string): { node: NodeProto; output: string } {
    const output = this.name(`${base}_nhwc`);
    const node = makeNode('Transpose', [input], [output], {
      name: this.name(`${base}/to_nhwc`),
      attributes: { perm: { ints: [0, 2, 3, 1] } },
    });
    return { node, output };
  }

  /** Reshape target [N, sH*H, sW*W, C'] from the shape of a [N, H, W, C] tensor. */
  upsampledShape(base: string, nhwc: string, sh: number, sw: number, channelDivisor: number): NodeProto[] {
    const shape = this.name(`${base}_shape`);
    const scaled = this.name(`${base}_target`);
    const nodes = [
      makeNode('Shape', [nhwc], [shape], { name: this.name(`${base}/shape`) }),
      makeNode('Mul', [shape, this.int64(`${base}_scales`, [1, sh, sw, 1])], [scaled], {
        name: this.name(`${base}/scale_shape`),
      }),
    ];
    if (channelDivisor === 1) return nodes;
    const target = this.name(`${base}_target_nhwc`);
    nodes.push(
      makeNode('Div', [scaled, this.int64(`${base}_divisor`, [1, 1, 1, channelDivisor])], [target], {
        name: this.name(`${base}/channels`),
      }),
    );
    return nodes;
  }

  unsqueeze(base: string, input: string, output: string, axes: number[]): NodeProto {
    const name = this.name(`${base}/unsqueeze`);
    return this.#options.opset >= 13
      ? makeNode('Unsqueeze', [input, this.int64(`${base}_axes`, axes)], [output], { name })
      : makeNode('Unsqueeze', [input], [output], { name, attributes: { axes: { ints: axes } } });
  }

  /** Whether the planner will run these data-movement ops on 8-bit data (they are selected op types). */
  movesInt8(...ops: string[]): boolean {
    return ['Transpose', 'Reshape', ...ops].every((op) => this.#options.opTypes.has(op));
  }

  resize(node: NodeProto): NodeProto[] | undefined {
    if (!this.movesInt8('Resize', 'Unsqueeze', 'Expand')) return undefined;
    if (node.input.length < 3 || node.input[3]) return undefined;
    if (stringAttribute(node, 'mode', 'nearest') !== 'nearest') return undefined;
    if (intAttribute(node, 'antialias', 0) !== 0 || intsAttribute(node, 'axes')) return undefined;
    const scales = this.floatValues(node.input[2]);
    if (!scales || scales.values.length !== 4) return undefined;
    const [n, c, sh, sw] = Array.from(scales.values);
    if (n !== 1 || c !== 1) return undefined;
    const integral = (s: number | undefined): s is number =>
      Number.isInteger(s) && s! >= 1 && s! <= MAX_SCALE;
    if (!integral(sh) || !integral(sw) || sh * sw === 1) return undefined;
    const coordinates = stringAttribute(node, 'coordinate_transformation_mode', 'half_pixel');
    const nearest = stringAttribute(node, 'nearest_mode', 'round_prefer_floor');
    if (!isReplication(coordinates, nearest, sh) || !isReplication(coordinates, nearest, sw))
      return undefined;
    const x = node.input[0] ?? '';
    const y = node.output[0] ?? '';
    const base = node.name || y;
    const nhwc = this.toNhwc(base, x);
    const unsqueezed = this.name(`${base}_6d`);
    const expanded = this.name(`${base}_replicated`);
    const upsampled = this.name(`${base}_upsampled_nhwc`);
    const shapeNodes = this.upsampledShape(base, nhwc.output, sh, sw, 1);
    return [
      nhwc.node,
      this.unsqueeze(base, nhwc.output, unsqueezed, [2, 4]),
      makeNode('Expand', [unsqueezed, this.int64(`${base}_repeats`, [1, 1, sh, 1, sw, 1])], [expanded], {
        name: this.name(`${base}/expand`),
      }),
      ...this.mergeToNchw(base, expanded, shapeNodes, upsampled, y),
    ];
  }

  /** The rewrite of a ConvTranspose (and the Relu after it, returned in `consumed`). */
  convTranspose(node: NodeProto): { nodes: NodeProto[]; consumed?: NodeProto } | undefined {
    if (!this.movesInt8('Conv') || intAttribute(node, 'group', 1) !== 1) return undefined;
    if (intsAttribute(node, 'output_shape')) return undefined;
    const weight = this.floatValues(node.input[1]);
    if (!weight || weight.dims.length !== 4) return undefined;
    const [cin = 0, cout = 0, kh = 0, kw = 0] = weight.dims;
    const kernel = intsAttribute(node, 'kernel_shape') ?? [kh, kw];
    const strides = intsAttribute(node, 'strides') ?? [1, 1];
    const zero = (name: string): boolean => (intsAttribute(node, name) ?? []).every((v) => v === 0);
    const one = (name: string): boolean => (intsAttribute(node, name) ?? []).every((v) => v === 1);
    if (kernel[0] !== kh || kernel[1] !== kw || strides[0] !== kh || strides[1] !== kw) return undefined;
    if (kh * kw === 1 || !zero('pads') || !zero('output_padding') || !one('dilations')) return undefined;
    const bias = node.input[2] ? this.floatValues(node.input[2]) : undefined;
    if (node.input[2] && bias?.values.length !== cout) return undefined;

    // W1[(a * kW + b) * C_out + oc, ic] = W[ic, oc, a, b]: output channels ordered (a, b, oc), so that in
    // NHWC the C_out values of one output pixel are contiguous.
    const outChannels = kh * kw * cout;
    const w1 = new Float32Array(outChannels * cin);
    const b1 = new Float32Array(outChannels);
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        for (let oc = 0; oc < cout; oc++) {
          const row = (a * kw + b) * cout + oc;
          b1[row] = bias?.values[oc] ?? 0;
          for (let ic = 0; ic < cin; ic++) {
            w1[row * cin + ic] = weight.values[((ic * cout + oc) * kh + a) * kw + b]!;
          }
        }
      }
    }
    const x = node.input[0] ?? '';
    let y = node.output[0] ?? '';
    const base = node.name || y;
    const weightName = this.name(`${base}.as_conv_weight`);
    const biasName = this.name(`${base}.as_conv_bias`);
    this.#graph.initializer.push(makeFloatTensor(weightName, [outChannels, cin, 1, 1], w1));
    this.#graph.initializer.push(makeFloatTensor(biasName, [outChannels], b1));

    const convOut = this.name(`${base}_pixels`);
    const nodes: NodeProto[] = [
      makeNode('Conv', [x, weightName, biasName], [convOut], {
        name: this.name(`${base}/as_conv`),
        attributes: { kernel_shape: { ints: [1, 1] } },
      }),
    ];
    let shuffled = convOut;
    const consumers = this.#index.consumersOf(y);
    const relu = consumers.length === 1 ? consumers[0]!.node : undefined;
    let consumed: NodeProto | undefined;
    if (
      relu &&
      relu.opType === 'Relu' &&
      normalizeDomain(relu.domain) === '' &&
      !this.#index.isGraphOutput(y) &&
      this.#index.implicitConsumersOf(y).length === 0 &&
      !this.#options.excludeNodes.has(relu.name)
    ) {
      shuffled = this.name(`${base}_pixels_relu`);
      nodes.push(makeNode('Relu', [convOut], [shuffled], { name: relu.name || this.name(`${base}/relu`) }));
      y = relu.output[0] ?? '';
      consumed = relu;
    }
    const nhwc = this.toNhwc(base, shuffled);
    const split = this.name(`${base}_blocks`);
    const interleaved = this.name(`${base}_interleaved`);
    const upsampled = this.name(`${base}_upsampled_nhwc`);
    const shapeNodes = this.upsampledShape(base, nhwc.output, kh, kw, kh * kw);
    nodes.push(
      nhwc.node,
      makeNode(
        'Reshape',
        [nhwc.output, this.int64(`${base}_block_shape`, [0, 0, 0, kh, kw, cout])],
        [split],
        {
          name: this.name(`${base}/split_blocks`),
        },
      ),
      makeNode('Transpose', [split], [interleaved], {
        name: this.name(`${base}/interleave`),
        attributes: { perm: { ints: [0, 1, 3, 2, 4, 5] } },
      }),
      ...this.mergeToNchw(base, interleaved, shapeNodes, upsampled, y),
    );
    return { nodes, ...(consumed ? { consumed } : {}) };
  }
}

/** Rewrites the graph in place (see the file comment); returns how many of each op were rewritten. */
export function rewriteUpsamplingForNhwc(
  graph: GraphProto,
  options: UpsamplingRewriteOptions,
): UpsamplingRewriteCount {
  const rewriter = new Rewriter(graph, options);
  const replaced = new Map<NodeProto, NodeProto[]>();
  const count: UpsamplingRewriteCount = { resize: 0, convTranspose: 0 };
  for (const node of graph.node) {
    if (normalizeDomain(node.domain) !== '' || options.excludeNodes.has(node.name)) continue;
    if (node.output.length !== 1 || !rewriter.inputIsQuantized(node.input[0] ?? '')) continue;
    if (node.opType === 'Resize') {
      const nodes = rewriter.resize(node);
      if (!nodes) continue;
      replaced.set(node, nodes);
      count.resize++;
    } else if (node.opType === 'ConvTranspose') {
      const result = rewriter.convTranspose(node);
      if (!result) continue;
      replaced.set(node, result.nodes);
      if (result.consumed) replaced.set(result.consumed, []);
      count.convTranspose++;
    }
  }
  if (replaced.size === 0) return count;
  graph.node = graph.node.flatMap((n) => replaced.get(n) ?? [n]);
  sortNodesTopologically(graph, { recursive: false });
  // The ConvTransposes' float weights and biases, now read by nothing (they were replaced by the Convs').
  const oldConstants = new Set(
    [...replaced.keys()].filter((n) => n.opType === 'ConvTranspose').flatMap((n) => n.input.slice(1)),
  );
  const after = new GraphIndex(graph);
  graph.initializer = graph.initializer.filter((t) => !oldConstants.has(t.name) || after.isUsed(t.name));
  return count;
}
