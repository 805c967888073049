import { nearestName } from '../../shared/nearest-name.js';

/**
 * Words users type for what a command of ours does under another name (`compare` is three commands, by what
 * is compared), pointed at that command rather than at the whole list.
 */
const OTHER_NAMES: Record<string, string> = {
  compare:
    "To compare models use 'bench A.onnx B.onnx' (speed), 'eval B.onnx --data ... --reference A.onnx' (accuracy) or 'diff A.onnx B.onnx' (the graphs).",
  benchmark: "Use 'bench'.",
  evaluate: "Use 'eval'.",
  info: "Use 'inspect'.",
  show: "Use 'inspect'.",
  optimize: "Use 'tune': it searches for the best variant within an accuracy budget.",
  export: "Use 'convert', or 'run' for a recipe's export step.",
};

/** The message for a command name we do not have: the nearest real one, or what does that job here. */
export function unknownCommand(name: string, commands: readonly string[]): string {
  const head = `Unknown command '${name}'.`;
  const other = OTHER_NAMES[name.toLowerCase()];
  if (other) return `${head} ${other}`;
  const near = nearestName(name, commands);
  if (near) return `${head} Did you mean '${near}'?`;
  return `${head} Run 'onnx-studio --help' for the list of commands.`;
}

/** The message for a command line without a command: the commands there are, and where each is described. */
export function missingCommand(commands: readonly string[]): string {
  return `Missing command: give one of ${commands.join(', ')}. Run 'onnx-studio --help' for what each does.`;
}
