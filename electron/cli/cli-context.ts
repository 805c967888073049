import { StudioError } from '../engine/errors.js';

/** What every command gets: its parsed arguments and where to write. stdout carries results only. */
export interface CliContext {
  positionals: string[];
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
