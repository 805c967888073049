import type { NodeProto } from 'onnx-buf';
import { floatAttribute, stringAttribute } from '../onnx/attributes.js';
import { isFloatDtype } from '../onnx/dtypes.js';
import { type Layout, layoutBase } from './channel-layout.js';

/*
 * Constant channel estimates for bias compensation.
 *
 * A removed channel is a channel whose weights are (near) zero: what it still sends downstream is its
 * producer's bias, passed through the per-channel ops that follow (Relu(b), BatchNorm of b...). Removing the
 * channel must hand that constant to the consumer's bias, or the consumer's pre-activation shifts. The
 * analysis carries, next to every channel tensor's layout, one estimate per base position of the layout
 * (see channel-layout.ts: a position's value is the same over the `factor` copies a Flatten makes), computed
 * as the output of the graph when every producer's weights are zero. NaN marks a position whose value is not
 * a constant the analysis can tell (an op it cannot evaluate, a runtime tensor mixed in).
 */

/** Estimates that are all unknown. */
export function unknownConstants(layout: Layout): Float64Array {
  return new Float64Array(layoutBase(layout)).fill(NaN);
}

/**
 * Per-resolved-position values (a constant along the channel axis, `length` = base * factor) as
 * per-base-position values; NaN where the `factor` copies of a base position disagree.
 */
export function toBase(values: ArrayLike<number>, base: number): Float64Array {
  const out = new Float64Array(base).fill(NaN);
  if (base <= 0 || values.length % base !== 0) return out;
  const factor = values.length / base;
  for (let b = 0; b < base; b++) {
    const v = values[b * factor]!;
    let same = true;
    for (let f = 1; f < factor && same; f++) same = Object.is(values[b * factor + f], v);
    out[b] = same ? v : NaN;
  }
  return out;
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for an estimate.
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return sign * y;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The function a unary per-element op applies, or undefined when the estimate cannot follow it. `clip` gives
 * Clip's bounds (from attributes or constant inputs; undefined when they are computed at run time).
 */
export function unaryFunction(
  node: NodeProto,
  clip?: { min: number; max: number },
  castTo?: number,
): ((x: number) => number) | undefined {
  const f = (name: string, fallback: number): number => floatAttribute(node, name, fallback);
  switch (node.opType) {
    case 'Relu':
      return (x) => Math.max(0, x);
    case 'LeakyRelu': {
      const alpha = f('alpha', 0.01);
      return (x) => (x < 0 ? alpha * x : x);
    }
    case 'Sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'HardSigmoid': {
      const alpha = f('alpha', 0.2);
      const beta = f('beta', 0.5);
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    }
    case 'HardSwish':
      return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Tanh':
      return Math.tanh;
    case 'Elu': {
      const alpha = f('alpha', 1);
      return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
    }
    case 'Selu': {
      const alpha = f('alpha', 1.67326319217681884765625);
      const gamma = f('gamma', 1.05070102214813232421875);
      return (x) => gamma * (x <= 0 ? alpha * Math.expm1(x) : x);
    }
    case 'Celu': {
      const alpha = f('alpha', 1);
      return (x) => Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
    }
    case 'Gelu':
      return stringAttribute(node, 'approximate', 'none') === 'tanh'
        ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
        : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'Softplus':
      return softplus;
    case 'Softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'Mish':
      return (x) => x * Math.tanh(softplus(x));
    case 'Erf':
      return erf;
    case 'Identity':
    case 'Dropout':
      return (x) => x;
    case 'Neg':
      return (x) => -x;
    case 'Abs':
      return Math.abs;
    case 'Sqrt':
      return Math.sqrt;
    case 'Exp':
      return Math.exp;
    case 'Log':
      return Math.log;
    case 'Reciprocal':
      return (x) => 1 / x;
    case 'Floor':
      return Math.floor;
    case 'Ceil':
      return Math.ceil;
    case 'Round':
      return roundHalfEven;
    case 'Sign':
      return Math.sign;
    case 'Sin':
      return Math.sin;
    case 'Cos':
      return Math.cos;
    case 'Cast':
      return castTo !== undefined && isFloatDtype(castTo) ? (x) => x : undefined;
    case 'Clip':
      return clip ? (x) => Math.min(clip.max, Math.max(clip.min, x)) : undefined;
    case 'ThresholdedRelu': {
      const alpha = f('alpha', 1);
      return (x) => (x > alpha ? x : 0);
    }
    case 'Shrink': {
      const bias = f('bias', 0);
      const lambd = f('lambd', 0.5);
      return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
    }
    // Pools keep a constant constant (away from padded borders); LpPool scales it by the window.
    case 'MaxPool':
    case 'AveragePool':
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return (x) => x;
    default:
      return undefined;
  }
}

/** Combines the per-input estimates of an elementwise op with several inputs, or undefined for unknown ops. */
export function combineFunction(opType: string): ((inputs: number[]) => number) | undefined {
  switch (opType) {
    case 'Add':
    case 'Sum':
      return (v) => v.reduce((a, b) => a + b, 0);
    case 'Mean':
      return (v) => v.reduce((a, b) => a + b, 0) / v.length;
    case 'Sub':
      return ([a, b]) => a! - b!;
    case 'Mul':
      return (v) => v.reduce((a, b) => a * b, 1);
    case 'Div':
      return ([a, b]) => a! / b!;
    case 'Pow':
      return ([a, b]) => a! ** b!;
    case 'Max':
      return (v) => Math.max(...v);
    case 'Min':
      return (v) => Math.min(...v);
    case 'PRelu':
      return ([x, slope]) => (x! < 0 ? slope! * x! : x!);
    case 'Concat':
      // Along another axis: a channel is constant only if every part agrees.
      return (v) => (v.every((x) => x === v[0]) ? v[0]! : NaN);
    default:
      return undefined;
  }
}
