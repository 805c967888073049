import { closest, distance } from 'fastest-levenshtein';

/** How far a mistyped flag may be from a real one (edits) to be suggested. */
const MAX_EDITS = 2;

/** More flags than this holding the typed words is no suggestion (`--data` would list a dozen). */
const MAX_HOLDING = 3;

/**
 * The command's flags that hold the typed flag's words in order, with more of their own: `--samples` where the
 * command has `--calib-samples` (the flag another command takes for the same thing), `--calib` for
 * `--calib-data`, `--max-drop` for `--max-accuracy-drop`.
 */
function holdingWords(flag: string, names: readonly string[]): string[] {
  const typed = flag.split('-');
  const found = names.filter((name) => {
    const words = name.split('-');
    if (words.length <= typed.length) return false;
    let at = 0;
    for (const word of words) if (word === typed[at]) at++;
    return at === typed.length;
  });
  return found.length <= MAX_HOLDING ? found : [];
}

function orList(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}` : items[0]!;
}

/**
 * What to tell the user when node:util parseArgs refuses a command line. Its own message for an unknown
 * flag explains how to pass a positional argument that starts with '-', which is rarely what happened:
 * a mistyped flag is. So an unknown flag is named with the nearest real one of the command, if any is
 * within two edits, else the flags that hold it as whole words (another command's name for the same thing),
 * and the command's help.
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
  const candidates =
    near !== undefined && distance(flag!, near) <= MAX_EDITS ? [near] : holdingWords(flag!, names);
  const suggestion =
    candidates.length > 0 ? ` Did you mean ${orList(candidates.map((c) => `'--${c}'`))}?` : '';
  return `Unknown option '${dashes}${flag}' for 'onnx-studio ${command}'.${suggestion} ${help}`;
}
