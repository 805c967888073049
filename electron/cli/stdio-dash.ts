import { StudioError } from '../engine/errors.js';

/** What parseArgs's `tokens` option lists, as far as refuseStdioDash reads it. */
type ArgToken =
  | { kind: 'option'; rawName: string; value?: string | undefined }
  | { kind: 'positional'; value: string }
  | { kind: 'option-terminator' };

const WHY = "onnx-studio takes files by path, and '-' does not stand for standard input or output";

/**
 * `-` as a path. Unix tools read it as standard input or output, which no command of ours reads or writes (none
 * documents `-`): `recipe V.onnx -o -` wrote a file named `-`, and `inspect - < m.onnx` said there was no such
 * file. So `-` as an argument or as a flag's value is refused (exit 2) before the command runs, with what to give.
 */
export function refuseStdioDash(tokens: readonly ArgToken[] | undefined): void {
  for (const token of tokens ?? []) {
    if (token.kind === 'positional' && token.value === '-')
      throw new StudioError(
        'BAD_REQUEST',
        `'-' is not supported: ${WHY}. Give a file path (./- for a file named '-').`,
      );
    if (token.kind === 'option' && token.value === '-')
      throw new StudioError(
        'BAD_REQUEST',
        `${token.rawName} - is not supported: ${WHY}. Give a file path (${token.rawName} ./- for a file named '-').`,
      );
  }
}
