/**
 * Float16 model inputs, fed from data read wider. eval reads a float16 input's data as float32 (or as the
 * reference's wider float type) and narrows it for the model here, so that a float32 reference is fed the values
 * as they were, not as float16 rounded them: a finite value beyond ±65504 was fed to both as Inf, and the
 * reference was blamed for the NaN it gave. The values float16 cannot hold are counted and said.
 */
import type * as ort from 'onnxruntime-node';
import { castTensor } from '../datasets/element-convert.js';
import type { ResolvedInput } from '../runtime/input-specs.js';

/** Below this magnitude a value rounds to a finite float16 (65504 is the largest; 65520 rounds up to Inf). */
const FLOAT16_OVERFLOW = 65520;

/** The model's inputs as eval reads them: a float16 one as the reference's wider float type, or float32. */
export function readWide(
  inputs: readonly ResolvedInput[],
  reference?: readonly ResolvedInput[],
): ResolvedInput[] {
  return inputs.map((input) => {
    if (input.ortType !== 'float16') return input;
    const theirs = reference?.find((r) => r.name === input.name)?.ortType;
    const wide = theirs === 'float64' ? 'float64' : 'float32';
    return { ...input, ortType: wide, modelType: 'float16' };
  });
}

export class NarrowedInputs {
  private overflowed = 0;
  private first: { sample: number; input: string } | undefined;

  constructor(private readonly inputs: readonly ResolvedInput[]) {}

  /** The sample as the model takes it: every input read wide, cast to the model's float16. */
  feed(index: number, tensors: Readonly<Record<string, ort.Tensor>>): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = { ...tensors };
    for (const input of this.inputs) {
      const tensor = tensors[input.name];
      if (!input.modelType || !tensor) continue;
      // Read as float32 or float64 (readWide): counted in place, no float64 copy of every sample.
      const values = tensor.data as Float32Array | Float64Array;
      let beyond = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (Math.abs(v) >= FLOAT16_OVERFLOW && Number.isFinite(v)) beyond++;
      }
      if (beyond > 0) {
        this.overflowed += beyond;
        this.first ??= { sample: index, input: input.name };
      }
      out[input.name] = castTensor(tensor, 'float16', `Input '${input.name}'`);
    }
    return out;
  }

  /** What float16 could not hold, in words, or nothing. */
  note(withReference: boolean): string | undefined {
    if (!this.first) return undefined;
    const one = this.overflowed === 1;
    return (
      `${this.overflowed.toLocaleString('en')} value${one ? '' : 's'} of the data ${one ? 'lies' : 'lie'} beyond float16's range ` +
      `(±65504; the first at sample ${this.first.sample}, input '${this.first.input}'): the model's float16 input ` +
      `was fed ${one ? 'it' : 'them'} as Inf` +
      (withReference ? `, the reference ${one ? 'as it is' : 'as they are'}.` : '.') +
      ' Scale the data into range, or keep float32 inputs (quantize --method fp16 keeps them unless --no-keep-io-types).'
    );
  }
}
