/**
 * One declaration per option. Every option of a method (and of the family's common options) is a zod schema
 * carrying its metadata: the help line, the CLI flag (or why it has none), a placeholder example and, for
 * common options, the methods it applies to. The metadata rides on zod's `.meta()`, so `z.toJSONSchema`
 * carries it into the method catalog, and from the catalog the CLI's parsing and `--help`, the app's forms
 * and the reproduce command are derived (shared/options/cli-flags.ts). Nothing else lists options.
 */
import type { z } from 'zod';

export interface OptionMeta {
  /** One line of help: the CLI's `--help`, the form's hint, docs. */
  description: string;
  /** The CLI flag without its dashes, e.g. `block-size`. Absent only with `appOnly`. */
  flag?: string;
  /** Why the option has no CLI flag (listed by the reproduce command instead of being silently dropped). */
  appOnly?: string;
  /** What a value looks like, for the form's placeholder and the help's value name, e.g. `Conv, MatMul`. */
  example?: string;
  /** Common options only: the methods the option means something to (absent: every method of the family). */
  methods?: readonly string[];
  /**
   * A flag that takes no value and sets the option to this. Booleans need none: their flag sets the opposite
   * of the default (`--per-tensor` sets true, `--no-keep-io-types` sets false).
   */
  switchTo?: string | number | boolean;
  /**
   * How the CLI writes a value that is not a plain number, string or name list: `size` (`224` or `224x192`),
   * `channels` (one value, or one per channel: `0.485,0.456,0.406`), `ratio` (a number that may be written `1/255`).
   */
  format?: 'size' | 'channels' | 'ratio';
}

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
}
