import { StudioError } from '../engine/errors.js';

/** What every command gets: its parsed arguments and where to write. stdout carries results only. */
export interface CliContext {
  positionals: string[];
  /**
   * For each string flag given with a value, the positional argument written right after it (`--emit slurm DIR`:
   * emit -> DIR), so a flag that takes a second word finds it wherever the command line puts MODEL.
   */
  positionalAfter?: Readonly<Record<string, string>>;
  values: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
  /** Set by `writeJson`: a failure after the command's object (closing a server, disposing) adds none of its own. */
  jsonWritten?: boolean;
}

/** One command of the CLI: its help text, its flags (for node:util parseArgs) and what it does. */
/** A command's flags and behaviour; its name and summary are declared in command-index.ts. */
export interface CliCommand {
  usage: string;
  /** Lines of help describing the flags. */
  help: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  run(ctx: CliContext): Promise<number>;
}

/** A required single string flag, or a BAD_REQUEST error naming it. */
export function requireString(ctx: CliContext, name: string, what: string): string {
  const value = ctx.values[name];
  if (typeof value !== 'string' || value === '') throw new StudioError('BAD_REQUEST', `Missing ${what}: pass --${name}.`);
  return value;
}

/** Parses a non-negative integer flag with a message that names the flag. */
export function parseCount(name: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new StudioError('BAD_REQUEST', `--${name} must be a whole number of bytes, got '${raw}'.`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new StudioError('BAD_REQUEST', `--${name} is too large: '${raw}'.`);
  return value;
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  ctx.jsonWritten = true;
}

/** What parseArgs's `tokens` option lists, as far as positionalsAfterFlags reads it. */
type ArgToken =
  | { kind: 'option'; name: string; value?: string | undefined }
  | { kind: 'positional'; value: string }
  | { kind: 'option-terminator' };

/** CliContext.positionalAfter from parseArgs's tokens: each flag with a value, and the positional right after it. */
export function positionalsAfterFlags(tokens: readonly ArgToken[] | undefined): Record<string, string> {
  const after: Record<string, string> = {};
  tokens?.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.kind === 'option' && typeof token.value === 'string' && next?.kind === 'positional')
      after[token.name] = next.value;
  });
  return after;
}
