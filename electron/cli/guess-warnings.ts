import { isGuessNote } from '../engine/runtime/input-specs.js';
import type { CliContext } from './cli-context.js';

/**
 * The contract for guessed values (docs/cli.md, Input spec): each note about dims or input values nothing set
 * goes once to stderr as a `warning:` line, in text and JSON modes alike, and stays in the JSON's `notes[]`.
 * Returns the other notes, for a command's own `Note:` lines (the guesses are not said twice).
 */
export function warnGuesses(ctx: CliContext, notes: readonly string[]): string[] {
  const rest: string[] = [];
  for (const note of notes) {
    if (isGuessNote(note)) ctx.stderr.write(`warning: ${note}\n`);
    else rest.push(note);
  }
  return rest;
}

/**
 * The guesses as `Guessed:` lines of a command's text output, beside the figures measured on them: a log that
 * keeps stdout alone lost the fact that a cosine was measured on a guessed 1-second clip.
 */
export function guessedLines(notes: readonly string[]): string[] {
  return notes.filter(isGuessNote).map((note) => `Guessed: ${note}`);
}
