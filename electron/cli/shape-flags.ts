import { StudioError } from '../engine/errors.js';
import type { ShapeOverrides } from '../engine/runtime/input-specs.js';

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as string[]) : [String(value)];
}

/** `--shape INPUT=1x3x224x224` (repeatable) and `--dim NAME=VALUE` (repeatable) as ShapeOverrides. */
export function parseShapeFlags(shapeFlags: unknown, dimFlags: unknown): ShapeOverrides {
  const shapes: Record<string, number[]> = {};
  for (const flag of asList(shapeFlags)) {
    const match = /^(.+)=(\d+(?:[x,]\d+)*)$/.exec(flag);
    if (!match) throw new StudioError('BAD_REQUEST', `--shape expects INPUT=1x3x224x224, got '${flag}'.`);
    shapes[match[1]!] = match[2]!.split(/[x,]/).map(Number);
  }
  const dims: Record<string, number> = {};
  for (const flag of asList(dimFlags)) {
    const match = /^(.+)=(\d+)$/.exec(flag);
    if (!match || Number(match[2]) < 1) throw new StudioError('BAD_REQUEST', `--dim expects NAME=VALUE with VALUE >= 1, got '${flag}'.`);
    dims[match[1]!] = Number(match[2]);
  }
  return { shapes, dims };
}

/** The parseArgs option entries for --shape and --dim, shared by every command that feeds a model. */
export const SHAPE_OPTIONS = {
  shape: { type: 'string', multiple: true },
  dim: { type: 'string', multiple: true },
} as const;
