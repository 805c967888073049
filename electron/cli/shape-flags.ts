import { StudioError } from '../engine/errors.js';
import { parseShapeText, type InputValues } from '../../shared/input-spec.js';
import type { ShapeOverrides } from '../engine/runtime/input-specs.js';

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as string[]) : [String(value)];
}

/**
 * `--shape INPUT=1x3x224x224`, `--dim NAME=VALUE` and `--value INPUT=V`, `INPUT=MIN:MAX`, `INPUT=positions` or
 * `INPUT=positions+N` (each repeatable) as ShapeOverrides. shared/cli-command.ts `valueFlagText` writes values back.
 */
export function parseShapeFlags(
  shapeFlags: unknown,
  dimFlags: unknown,
  valueFlags?: unknown,
): ShapeOverrides {
  const shapes: Record<string, number[]> = {};
  for (const flag of asList(shapeFlags)) {
    // The input's name is everything before the last '=' (a name may hold one; a shape never does).
    const at = flag.lastIndexOf('=');
    const shape = at > 0 ? parseShapeText(flag.slice(at + 1)) : ({ problem: 'format' } as const);
    if ('problem' in shape)
      throw new StudioError('BAD_REQUEST', `--shape expects INPUT=1x3x224x224, got '${flag}'.`);
    shapes[flag.slice(0, at)] = shape.dims;
  }
  const dims: Record<string, number> = {};
  for (const flag of asList(dimFlags)) {
    // A 0 is judged against the model (only a KV cache's past length may be empty: resolveInputSpecs).
    const match = /^(.+)=(\d+)$/.exec(flag);
    if (!match)
      throw new StudioError('BAD_REQUEST', `--dim expects NAME=VALUE with a whole VALUE, got '${flag}'.`);
    dims[match[1]!] = Number(match[2]);
  }
  const values: Record<string, InputValues> = {};
  for (const flag of asList(valueFlags)) {
    const number = '(-?\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)';
    const constant = new RegExp(`^(.+)=${number}$`, 'i').exec(flag);
    const range = new RegExp(`^(.+)=${number}:${number}$`, 'i').exec(flag);
    const positions = /^(.+)=positions(?:\+(\d+))?$/i.exec(flag);
    // A bool input's value in words (`--value use_cache_branch=false`): the spec stores bools as 0 and 1.
    const truth = /^(.+)=(true|false)$/i.exec(flag);
    if (positions) values[positions[1]!] = { kind: 'positions', start: Number(positions[2] ?? 0) };
    else if (truth)
      values[truth[1]!] = { kind: 'constant', value: truth[2]!.toLowerCase() === 'true' ? 1 : 0 };
    else if (constant) values[constant[1]!] = { kind: 'constant', value: Number(constant[2]) };
    else if (range && Number(range[2]) <= Number(range[3]))
      values[range[1]!] = { kind: 'range', min: Number(range[2]), max: Number(range[3]) };
    else
      throw new StudioError(
        'BAD_REQUEST',
        `--value expects INPUT=VALUE, INPUT=MIN:MAX (MIN <= MAX), INPUT=true or false, INPUT=positions or ` +
          `INPUT=positions+N (N whole), got '${flag}'.`,
      );
  }
  // Marked as typed here: data whose samples contradict these sizes is refused (input-match.ts).
  return Object.keys(values).length > 0
    ? { shapes, dims, values, origin: 'flags' }
    : { shapes, dims, origin: 'flags' };
}

/** The parseArgs option entries for --shape and --dim, shared by every command that feeds a model. */
export const SHAPE_OPTIONS = {
  shape: { type: 'string', multiple: true },
  dim: { type: 'string', multiple: true },
  value: { type: 'string', multiple: true },
} as const;

/** The help lines of SHAPE_OPTIONS. */
export const SHAPE_HELP = [
  '  --shape INPUT=1x3x224x224  a whole input shape (repeatable)',
  '  --dim NAME=N               the size of a symbolic dim, e.g. --dim batch=8 (repeatable; an unset dim takes the',
  "                             app's guess, e.g. one second of audio, printed with its reason as a warning; 0 only",
  "                             for a KV cache's past length, e.g. --dim past_sequence_length=0, its guess)",
  '  --value INPUT=V            fill an input of synthetic data with V, e.g. --value sr=16000, or INPUT=MIN:MAX for',
  "                             whole numbers drawn from MIN..MAX (repeatable; unset: the app's guess, e.g. sr 16000,",
  '                             masks 1, ids over the rows of the table they index, printed as a warning), or',
  "                             INPUT=positions for 0, 1, 2, ... along its last axis (a decoder's position_ids;",
  '                             INPUT=positions+N from N, after a past of N steps); a bool takes true or false',
];
