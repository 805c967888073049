import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConvNet } from './conv-fixtures.js';
import { buildIfModel, buildMlp, modelBytes, mulberry32 } from './model-fixtures.js';

/*
 * Deterministic byte-level mutants of small real models, for fuzzing every command that opens a model
 * (electron/scripts/fuzz-models.ts, model-mutants.test.ts). The same seed gives the same mutants on every
 * machine: one seeded PRNG (mulberry32) drives every choice.
 */

export type MutationKind = 'bit-flip' | 'byte-run' | 'truncate' | 'splice';
export const MUTATION_KINDS: readonly MutationKind[] = ['bit-flip', 'byte-run', 'truncate', 'splice'];

/** A fixture model the mutants start from. */
export interface MutantBase {
  name: string;
  bytes: Uint8Array;
}

export interface Mutant {
  /** e.g. "mlp-0007-byte-run". */
  id: string;
  base: string;
  kind: MutationKind;
  /** What was changed, precisely enough to redo it by hand. */
  description: string;
  bytes: Uint8Array;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The bundled digits model (~16 KB); the compiled copy under out/ finds the source fixture too. */
export function digitsModelPath(): string {
  const candidates = [
    path.join(here, 'fixtures', 'digits', 'digits.onnx'),
    path.join(
      here,
      '..',
      '..',
      '..',
      '..',
      'electron',
      'engine',
      'testing',
      'fixtures',
      'digits',
      'digits.onnx',
    ),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`digits.onnx not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * The four models mutants start from, each under 100 KB: the trained digits model, an MLP (Gemm, MatMul),
 * a small conv net (Conv, BatchNorm, residual Add, MaxPool, depthwise conv, Gemm) and a model with an If
 * whose branches are subgraphs.
 */
export function mutantBases(): MutantBase[] {
  return [
    { name: 'digits', bytes: new Uint8Array(fs.readFileSync(digitsModelPath())) },
    { name: 'mlp', bytes: modelBytes(buildMlp({ batch: 1 })) },
    { name: 'convnet', bytes: modelBytes(buildConvNet({ variant: 'small' })) },
    { name: 'if', bytes: modelBytes(buildIfModel({ batch: 1 })) },
  ];
}

type Random = () => number;

function int(next: Random, lo: number, hi: number): number {
  // An integer in [lo, hi].
  return lo + Math.floor(next() * (hi - lo + 1));
}

function bitFlips(bytes: Uint8Array, next: Random): [Uint8Array, string] {
  const out = bytes.slice();
  const flips = int(next, 1, 8);
  const at: string[] = [];
  for (let i = 0; i < flips; i++) {
    const offset = int(next, 0, out.length - 1);
    const bit = int(next, 0, 7);
    out[offset]! ^= 1 << bit;
    at.push(`${offset}.${bit}`);
  }
  return [out, `flipped bits (byte.bit) ${at.join(', ')}`];
}

function byteRun(bytes: Uint8Array, next: Random): [Uint8Array, string] {
  const out = bytes.slice();
  const length = Math.min(out.length, int(next, 1, 64));
  const offset = int(next, 0, out.length - length);
  const fill = int(next, 0, 2);
  for (let i = offset; i < offset + length; i++)
    out[i] = fill === 0 ? 0x00 : fill === 1 ? 0xff : int(next, 0, 255);
  return [
    out,
    `overwrote bytes ${offset}..${offset + length - 1} with ${['0x00', '0xff', 'random bytes'][fill]}`,
  ];
}

function truncate(bytes: Uint8Array, next: Random): [Uint8Array, string] {
  // Mostly near the end (a cut-off download), sometimes anywhere.
  const keep =
    next() < 0.5
      ? int(next, Math.floor(bytes.length * 0.9), bytes.length - 1)
      : int(next, 1, bytes.length - 1);
  return [bytes.slice(0, keep), `truncated to ${keep} of ${bytes.length} bytes`];
}

function splice(bytes: Uint8Array, donor: MutantBase, next: Random): [Uint8Array, string] {
  const length = Math.min(donor.bytes.length, int(next, 4, 512));
  const from = int(next, 0, donor.bytes.length - length);
  const chunk = donor.bytes.subarray(from, from + length);
  const at = int(next, 0, bytes.length);
  if (next() < 0.5) {
    // Insert the chunk.
    const out = new Uint8Array(bytes.length + length);
    out.set(bytes.subarray(0, at));
    out.set(chunk, at);
    out.set(bytes.subarray(at), at + length);
    return [out, `inserted ${donor.name} bytes ${from}..${from + length - 1} at ${at}`];
  }
  // Overwrite with the chunk (clipped to the file).
  const out = bytes.slice();
  const n = Math.min(length, out.length - at);
  out.set(chunk.subarray(0, n), at);
  return [out, `overwrote bytes ${at}..${at + n - 1} with ${donor.name} bytes ${from}..${from + n - 1}`];
}

/** One mutant of `base` (donors are the splice sources), fully determined by `seed`. */
export function mutate(
  base: MutantBase,
  donors: readonly MutantBase[],
  kind: MutationKind,
  seed: number,
): Omit<Mutant, 'id'> {
  const next = mulberry32(seed);
  let result: [Uint8Array, string];
  switch (kind) {
    case 'bit-flip':
      result = bitFlips(base.bytes, next);
      break;
    case 'byte-run':
      result = byteRun(base.bytes, next);
      break;
    case 'truncate':
      result = truncate(base.bytes, next);
      break;
    case 'splice':
      result = splice(base.bytes, donors[int(next, 0, donors.length - 1)]!, next);
      break;
  }
  return { base: base.name, kind, description: result[1], bytes: result[0] };
}

/**
 * Mutant number `index` of the sequence `seed` gives: it starts from base index % bases and uses kind
 * (index / bases) % 4, with its own seed derived from `seed` and `index`.
 */
export function mutantAt(index: number, seed = 1, bases: readonly MutantBase[] = mutantBases()): Mutant {
  const base = bases[index % bases.length]!;
  const kind = MUTATION_KINDS[Math.floor(index / bases.length) % MUTATION_KINDS.length]!;
  const m = mutate(base, bases, kind, (seed * 1_000_003 + index * 7919) >>> 0);
  return { id: `${base.name}-${String(index).padStart(4, '0')}-${kind}`, ...m };
}

/** The first `count` mutants of the sequence `seed` gives (see `mutantAt`). */
export function makeMutants(count: number, seed = 1, bases: readonly MutantBase[] = mutantBases()): Mutant[] {
  return Array.from({ length: count }, (_, i) => mutantAt(i, seed, bases));
}

/** A command a mutant goes through: its name and its CLI arguments (`out` is where a variant would go). */
export interface FuzzCommand {
  name: string;
  args: (model: string, out: string) => string[];
}

/** The commands every mutant sweep covers (fast settings: bench runs 1 warm-up and 3 timed runs). */
export const FUZZ_COMMANDS: readonly FuzzCommand[] = [
  { name: 'inspect', args: (m) => ['inspect', m] },
  { name: 'quantize int8-dynamic', args: (m, o) => ['quantize', m, '-o', o, '--method', 'int8-dynamic'] },
  { name: 'quantize fp16', args: (m, o) => ['quantize', m, '-o', o, '--method', 'fp16'] },
  {
    name: 'prune magnitude',
    args: (m, o) => ['prune', m, '-o', o, '--method', 'magnitude', '--sparsity', '0.3'],
  },
  { name: 'bench', args: (m) => ['bench', m, '--iterations', '3', '--warmup', '1'] },
];
