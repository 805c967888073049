import { describe, expect, it } from 'vitest';
import { unknownCommand } from './unknown-command.js';

const COMMANDS = ['inspect', 'quantize', 'prune', 'bench', 'eval', 'diff', 'tune'];

describe('an unknown command', () => {
  it('is answered with the nearest real command, case aside', () => {
    expect(unknownCommand('quantise', COMMANDS)).toBe("Unknown command 'quantise'. Did you mean 'quantize'?");
    expect(unknownCommand('Inspect', COMMANDS)).toBe("Unknown command 'Inspect'. Did you mean 'inspect'?");
  });

  it("points a word users type for one of our commands at that command ('compare' at the three that compare)", () => {
    expect(unknownCommand('compare', COMMANDS)).toMatch(
      /^Unknown command 'compare'\. To compare models use 'bench A\.onnx B\.onnx' \(speed\)/,
    );
    expect(unknownCommand('benchmark', COMMANDS)).toBe("Unknown command 'benchmark'. Use 'bench'.");
  });

  it('otherwise points at the list', () => {
    expect(unknownCommand('frobnicate', COMMANDS)).toBe(
      "Unknown command 'frobnicate'. Run 'onnx-studio --help' for the list of commands.",
    );
  });
});
