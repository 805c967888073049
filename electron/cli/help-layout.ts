/**
 * One column for every option row of every command's --help. Rows come from two places (hand-written lines
 * and the rows option schemas derive, shared/options/cli-flags.ts), which drifted a column apart; aligning them
 * here, where help is printed, keeps every command in line whatever its rows were written with.
 */
import { HELP_COLUMN } from '../../shared/options/cli-flags.js';

/** `  --flag VALUE   description`: a flag, two or more spaces, the description. */
const ROW = /^ {2}(-\S(?:.*?\S)?) {2,}(\S.*)$/;
/** A description carried on to the next line, indented well past the flags. */
const CONTINUATION = /^ {8,}(\S.*)$/;

export function alignOptionRows(lines: readonly string[]): string[] {
  const indent = ' '.repeat(HELP_COLUMN);
  return lines.flatMap((line) => {
    const row = ROW.exec(line);
    if (row) {
      const left = `  ${row[1]}`;
      // A flag too long for the column puts its description on the next line (as cli-flags.ts does).
      return left.length >= HELP_COLUMN - 1
        ? [left, `${indent}${row[2]}`]
        : [`${left.padEnd(HELP_COLUMN)}${row[2]}`];
    }
    const more = CONTINUATION.exec(line);
    return more ? [`${indent}${more[1]}`] : [line];
  });
}
