import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAD_MODEL_CASES } from '../engine/testing/bad-model-cases.js';
import { buildCnn, buildMlp } from '../engine/testing/model-fixtures.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { repoRoot, runCliProcess as cli } from './testing/run-cli.js';

const root = repoRoot;

describe('onnx-studio CLI', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let mlp: string;
  beforeEach(() => {
    tmp = makeTempDir();
    mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, toBinary(ModelProtoSchema, buildMlp()));
  });
  afterEach(() => tmp.cleanup());

  it('prints help listing the commands', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inspect/);
    expect(r.stdout).toMatch(/convert/);
    expect(cli('convert', '--help').stdout).toMatch(/--external-data/);
    // A command whose help opens with prose shows it above the options, not as the first 'option'.
    const diff = cli('diff', '--help').stdout;
    expect(diff).toMatch(/^What a compression did/m);
    expect(diff.indexOf('What a compression did')).toBeLessThan(diff.indexOf('Options:'));
    expect(diff.slice(diff.indexOf('Options:')).split('\n')[1]).toMatch(/^ {2}--all/);
    // Prose after the options stays after them: -h is the last option row, not a line below the prose.
    const run = cli('run', '--help').stdout;
    expect(run.indexOf('-h, --help')).toBeLessThan(run.indexOf('The recipe format is in docs/cli.md'));
    expect(run.trimEnd()).toMatch(/leaves no partial file\.$/);
  });

  it('inspect --json prints exactly one JSON object with the contract fields', () => {
    const r = cli('inspect', mlp, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['path', 'fileBytes', 'externalDataBytes', 'irVersion', 'producer', 'opsets', 'inputs', 'outputs', 'nodes', 'opCounts', 'parameters', 'parameterBytes', 'largestTensors']) {
      expect(json).toHaveProperty(key);
    }
    expect(json.parameters).toBe(32 * 16 + 32 + 32 * 8 + 8);
    expect(r.stderr).toBe('');
  });

  it('inspect without --json prints readable tables', () => {
    const r = cli('inspect', mlp);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Parameters\s+808/);
    expect(r.stdout).toMatch(/fc1\.weight\s+float32\s+\[32, 16\]/);
  });

  for (const c of BAD_MODEL_CASES) {
    it(`exits 2 with one clear line for ${c.name}`, () => {
      const file = c.make(tmp.dir);
      const r = cli('inspect', file, '--json');
      expect(r.code).toBe(2);
      // With --json, stdout holds one object naming the error, as stderr's one line does.
      const out = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(r.stderr.trim()).toBe(`onnx-studio: ${out.error.message}`);
      expect(['MODEL_PARSE', 'MODEL_INVALID', 'IO', 'BAD_REQUEST', 'BAD_INPUT']).toContain(out.error.code);
      expect(cli('inspect', file).stdout).toBe('');
      // Before the command, as the help's "Global options" read: the same object.
      expect(JSON.parse(cli('--json', 'inspect', file).stdout)).toEqual(out);
      // `--json` after `--` is an argument, not the flag: no object.
      expect(cli('inspect', file, '--', '--json').stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    });
  }

  it('exits 2 on an unknown command or flag', () => {
    expect(cli('frobnicate').code).toBe(2);
    const r = cli('inspect', mlp, '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--bogus' for 'onnx-studio inspect'\. Run 'onnx-studio inspect --help'/);
    expect(r.stderr).not.toMatch(/Did you mean/);
    // A near miss names the flag the command has.
    const typo = cli('bench', mlp, '--iteration', '5');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean '--iterations'\?/);
    // A negative number reads as a flag to the parser: say that, not how to quote a dash.
    const negative = cli('bench', mlp, '--threads', '-1');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--threads needs a value, and negative numbers are never valid here');
    expect(negative.stderr).not.toMatch(/XYZ|\.\./);
  });

  it('bench offers no --labels (a benchmark only feeds inputs); eval does', () => {
    expect(cli('bench', '--help').stdout).not.toContain('--labels');
    expect(cli('eval', '--help').stdout).toContain('--labels');
  });

  it('--help lists every exit code docs/cli.md gives', () => {
    const help = cli('--help').stdout;
    for (const code of ['0 success', '2 wrong input', '1 internal failure', '3 tune', '130 cancelled']) expect(help).toContain(code);
  });

  it('convert moves weights out and back, atomically, never over the input', () => {
    const cnn = path.join(tmp.dir, 'cnn.onnx');
    const original = toBinary(ModelProtoSchema, buildCnn());
    fs.writeFileSync(cnn, original);
    const ext = cli('convert', cnn, '-o', path.join(tmp.dir, 'ext', 'cnn.onnx'), '--external-data', '--json');
    expect(ext.code).toBe(2); // output folder does not exist
    fs.mkdirSync(path.join(tmp.dir, 'ext'));
    const ok = cli('convert', cnn, '-o', path.join(tmp.dir, 'ext', 'cnn.onnx'), '--external-data', '--size-threshold', '256', '--json');
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as { output: string; outputBytes: number; externalDataBytes: number; totalBytes: number };
    // The total counts both files, as quantize's and prune's outputBytes do.
    expect(json.totalBytes).toBe(json.outputBytes + json.externalDataBytes);
    expect(json.externalDataBytes).toBeGreaterThan(0);
    expect(fs.statSync(path.join(tmp.dir, 'ext', 'cnn.onnx.data')).size).toBe(json.externalDataBytes);
    expect(fs.statSync(json.output).size).toBe(json.outputBytes);

    const back = cli('convert', json.output, '-o', path.join(tmp.dir, 'back.onnx'), '--json');
    expect(back.code).toBe(0);
    expect(fs.readFileSync(path.join(tmp.dir, 'back.onnx')).equals(Buffer.from(original))).toBe(true);

    const again = cli('convert', json.output, '-o', path.join(tmp.dir, 'back.onnx'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--force/);
    expect(cli('convert', json.output, '-o', path.join(tmp.dir, 'back.onnx'), '--force').code).toBe(0);

    const self = cli('convert', cnn, '-o', cnn, '--force');
    expect(self.code).toBe(2);
    expect(fs.readFileSync(cnn).equals(Buffer.from(original))).toBe(true);
  });

  it('the installed bin runs the compiled CLI', () => {
    const bin = path.join(root, 'bin/onnx-studio.js');
    // `npm test` builds first; run `npm run build` before running this file alone.
    const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
