import { closest, distance } from 'fastest-levenshtein';

/** How far a mistyped flag may be from a real one (edits) to be suggested. */
const MAX_EDITS = 2;

/**
 * What to tell the user when node:util parseArgs refuses a command line. Its own message for an unknown
 * flag explains how to pass a positional argument that starts with '-', which is rarely what happened:
 * a mistyped flag is. So an unknown flag is named with the nearest real one of the command, if any is
 * within two edits, and the command's help.
 */
export function argumentError(error: Error, command: string, options: Record<string, unknown>): string {
  const help = `Run 'onnx-studio ${command} --help' for its options.`;
  // A value starting with '-' reads as a flag to parseArgs: almost always a negative number, which no option
  // of ours takes, so the range is what to say, not how to quote a dash.
  const ambiguous = /^Option '(--[\w-]+)(?: <value>)?' argument is ambiguous/.exec(error.message);
  if (ambiguous)
    return `${ambiguous[1]} needs a value, and negative numbers are never valid here (a file name starting with '-' goes as ${ambiguous[1]}=./-name). ${help}`;
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(error.message);
  if (!unknown) return `${error.message.replace(/\.+$/, '')}. ${help}`;
  const [, dashes, flag] = unknown;
  const names = Object.keys(options);
  const near = names.length > 0 ? closest(flag!, names) : undefined;
  const suggestion =
    near !== undefined && distance(flag!, near) <= MAX_EDITS ? ` Did you mean '--${near}'?` : '';
  return `Unknown option '${dashes}${flag}' for 'onnx-studio ${command}'.${suggestion} ${help}`;
}
