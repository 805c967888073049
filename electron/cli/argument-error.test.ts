import { describe, expect, it } from 'vitest';
import { argumentError } from './argument-error.js';
import { COMMANDS } from './command-index.js';
import { runCliInProcess as cli } from './testing/run-cli.js';

/** The flags a command declares (the same table the parser is given). */
async function optionsOf(name: string): Promise<Record<string, unknown>> {
  return (await COMMANDS.find((c) => c.name === name)!.load()).options;
}

const unknown = (flag: string) =>
  new Error(`Unknown option '--${flag}'. To specify a positional argument...`);

describe('argumentError: an unknown flag names the command flags it most likely meant', () => {
  it("another command's flag for the same thing: quantize --samples suggests --calib-samples", async () => {
    const r = await cli([
      'quantize',
      'm.onnx',
      '-o',
      'q.onnx',
      '--calib-data',
      'synthetic',
      '--samples',
      '8',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /Unknown option '--samples' for 'onnx-studio quantize'\. Did you mean '--calib-samples'\?/,
    );
  });

  it('lists a few flags holding the typed words, none when too many do, and keeps edit-distance typos first', async () => {
    const quantize = await optionsOf('quantize');
    const calib = argumentError(unknown('calib'), 'quantize', quantize);
    for (const flag of ['--calib-data', '--calib-method', '--calib-samples'])
      expect(calib).toContain(`'${flag}'`);
    expect(calib).toMatch(/Did you mean '--[\w-]+', '--[\w-]+' or '--[\w-]+'\?/);
    expect(argumentError(unknown('exclude'), 'quantize', quantize)).toContain(
      "Did you mean '--exclude-nodes'?",
    );
    expect(argumentError(unknown('iteratons'), 'bench', await optionsOf('bench'))).toContain(
      "Did you mean '--iterations'?",
    );
    // Words a flag holds with one of its own between them.
    expect(argumentError(unknown('max-drop'), 'tune', await optionsOf('tune'))).toContain(
      "Did you mean '--max-accuracy-drop'?",
    );
    // Words no flag holds: no guess.
    expect(argumentError(unknown('frobnicate'), 'quantize', quantize)).not.toMatch(/Did you mean/);
  });
});
