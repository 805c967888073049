import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './testing/run-cli.js';
import { missingCommand, unknownCommand } from './unknown-command.js';

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

describe('no command', () => {
  it('is wrong input as an unknown command is: one line on stderr, exit 2, the error object with --json (a user test)', async () => {
    const message = missingCommand(COMMANDS);
    expect(message).toBe(
      "Missing command: give one of inspect, quantize, prune, bench, eval, diff, tune. Run 'onnx-studio --help' for what each does.",
    );
    // `onnx-studio` and `onnx-studio --json` printed the help on stdout with exit 2: no JSON for a script's jq.
    const bare = await runCliInProcess([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^onnx-studio: Missing command: give one of inspect, convert, .*\.\n$/);
    for (const argv of [['--json'], ['--verbose', '--json']]) {
      const json = await runCliInProcess(argv);
      expect(json.code, argv.join(' ')).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({
        error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^Missing command: /) },
      });
      expect(json.stderr).toMatch(/^onnx-studio: Missing command: /);
    }
    expect((await runCliInProcess(['--json'])).stderr.trim().split('\n')).toHaveLength(1);
    // As `frobnicate` is answered.
    const unknown = await runCliInProcess(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    // Asked for, the help is the answer: stdout, exit 0.
    const help = await runCliInProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^onnx-studio: make ONNX models smaller/);
    expect(help.stderr).toBe('');
  });
});
