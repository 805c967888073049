/**
 * One declaration per option. Every option of a method (and of the family's common options) is a zod schema
 * carrying its metadata: the help line, the CLI flag (or why it has none), a placeholder example and, for
 * common options, the methods it applies to. The metadata rides on zod's `.meta()`, so `z.toJSONSchema`
 * carries it into the method catalog, and from the catalog the CLI's parsing and `--help`, the app's forms
 * and the reproduce command are derived (shared/options/cli-flags.ts). Nothing else lists options.
 */
import type { z } from 'zod';
import type { OptionField } from '../method-catalog-types.js';

/**
 * What an option declares besides its schema. The same keys reach the catalog's `OptionField` (through
 * `z.toJSONSchema`), so their meaning is written once, there: flag, appOnly, example, metavar, methods, switchTo,
 * format.
 */
export type OptionMeta = {
  /** One line of help: the CLI's `--help`, the form's hint, docs. */
  description: string;
} & Pick<OptionField, 'flag' | 'appOnly' | 'example' | 'metavar' | 'methods' | 'switchTo' | 'format'>;

/** Declares an option: its schema (type, bounds, default) with its metadata attached. */
export function option<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  if (!meta.flag && !meta.appOnly) throw new Error(`option '${meta.description}' needs a flag or an appOnly reason`);
  return schema.meta({ ...meta }) as T;
}

/** The metadata `option()` attached, or undefined for a schema declared without it. */
export function optionMeta(schema: z.ZodType): OptionMeta | undefined {
  const meta = schema.meta() as Partial<OptionMeta> | undefined;
  return meta && typeof meta.description === 'string' ? (meta as OptionMeta) : undefined;
}

/** A method as the catalog, the CLI and the engine's registry know it: name, summary and option schema. */
export interface MethodSpec<Schema extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  optionSchema: Schema;
  /** Quantization methods that read calibration samples. */
  needsCalibration?: boolean;
  /**
   * Quantization methods whose output holds quantization ops (Q/DQ, int8 kernels, MatMulNBits). Every
   * quantization method refuses such a model (the engine's quantize-model.ts reads the ops themselves), so a
   * recipe step or an app variant made by one of these cannot be quantized again. fp16 writes none: a float16
   * model is quantized further.
   */
  quantizedOutput?: boolean;
}
