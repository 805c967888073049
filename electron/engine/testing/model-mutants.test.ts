import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { FUZZ_COMMANDS, makeMutants, mutantAt, mutantBases, type Mutant } from './model-mutants.js';
import { makeTempDir } from './temp-dir.js';

/*
 * A small fixed slice of `npm run fuzz:models` (which runs 480 mutants as whole processes): every mutant
 * through a command must end in exit 0 (still a valid model) or 2 (a user error that says what is wrong),
 * never exit 1, a stack trace or an output file left by a failed run.
 */

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-mutants-');
});
afterAll(() => tmp.cleanup());

async function runMutant(
  mutant: Mutant,
  commandName: string,
): Promise<{ code: number; stderr: string; leftOutput: boolean }> {
  const command = FUZZ_COMMANDS.find((c) => c.name === commandName)!;
  const model = path.join(tmp.dir, `${mutant.id}.onnx`);
  const out = path.join(tmp.dir, `${mutant.id}.${commandName.replace(/\W+/g, '-')}.out.onnx`);
  fs.writeFileSync(model, mutant.bytes);
  const r = await runCliInProcess(command.args(model, out));
  return { code: r.code, stderr: r.stderr, leftOutput: r.code !== 0 && fs.existsSync(out) };
}

describe('model mutants', () => {
  it('are deterministic, differ from their base and stay small', () => {
    const a = makeMutants(16, 3);
    const b = makeMutants(16, 3);
    expect(a.map((m) => m.id)).toEqual(b.map((m) => m.id));
    a.forEach((m, i) => expect(Buffer.compare(m.bytes, b[i]!.bytes)).toBe(0));
    expect(Buffer.compare(makeMutants(1, 4)[0]!.bytes, a[0]!.bytes)).not.toBe(0);
    const bases = new Map(mutantBases().map((base) => [base.name, base.bytes]));
    for (const base of bases.values()) expect(base.byteLength).toBeLessThan(100_000);
    for (const m of a) expect(Buffer.compare(m.bytes, bases.get(m.base)!)).not.toBe(0);
    expect(new Set(a.map((m) => m.kind))).toEqual(new Set(['bit-flip', 'byte-run', 'truncate', 'splice']));
  });

  // 24 runs: mutants 0..23 of seed 1 (every base and kind), each through one of the five commands.
  const sweep = makeMutants(24, 1);
  sweep.forEach((mutant, i) => {
    const command = FUZZ_COMMANDS[i % FUZZ_COMMANDS.length]!.name;
    it(`${mutant.id} through ${command}: exit 0 or 2, no stack trace`, async () => {
      const r = await runMutant(mutant, command);
      expect([0, 2], `${mutant.description}\n${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).not.toMatch(/^\s{4}at /m);
      expect(r.leftOutput).toBe(false);
    });
  });

  // Mutants that once ended in exit 1 ("Quantization produced an invalid graph"): a bit flip renamed a value,
  // so a node input or a graph output is produced by nothing. That is the input's fault: MODEL_INVALID.
  const brokenGraphs: [number, string, RegExp][] = [
    [
      337,
      'quantize int8-dynamic',
      /Input 0 \('relu1\.out'\) of node 'fc2_matmul' .* is not produced by any node/,
    ],
    [35, 'quantize fp16', /Graph output 'outpuu' in graph 'if_model' is not produced by anything/],
    [130, 'prune magnitude', /Input 4 \('sep\.`w_bn\.running_var'\) of node 'sep\.dw_bn'/],
    [275, 'quantize fp16', /Input 1 \('shared\.weight'\) of node 'then_matmul' .* in graph 'then_branch'/],
  ];
  for (const [index, command, message] of brokenGraphs) {
    it(`mutant ${index} (a renamed value) through ${command} is MODEL_INVALID, exit 2`, async () => {
      const mutant = mutantAt(index, 1);
      const r = await runMutant(mutant, command);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is not a valid ONNX model: /);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/re-export or re-download it/);
      expect(r.leftOutput).toBe(false);
    });
  }

  // Seed 3, mutant 262: 0xff bytes turn weights of the conv net into NaN, so calibration sees no finite value
  // of 'gap.out'. The Flatten after it shared that range; dropping it left 'flatten.out' a root nobody had
  // calibrated, and int8-static failed with "No calibration range for tensor 'flatten.out'" (exit 1).
  it('int8-static on a model with NaN activations leaves those nodes float', async () => {
    const mutant = mutantAt(262, 3);
    expect(mutant.description).toBe('overwrote bytes 8170..8178 with 0xff');
    const model = path.join(tmp.dir, `${mutant.id}.onnx`);
    const out = path.join(tmp.dir, `${mutant.id}.static.onnx`);
    fs.writeFileSync(model, mutant.bytes);
    const r = await runCliInProcess([
      'quantize',
      model,
      '-o',
      out,
      '--method',
      'int8-static',
      '--calib-data',
      'synthetic',
      '--calib-samples',
      '4',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Calibration saw no finite value of 2 activation tensors \('gap\.out', /);
    expect(r.stdout).toMatch(/fc\s+Gemm\s+calibration gave no statistics/);
  });

  it('a truncated model is a parse error that says so', async () => {
    const truncated = makeMutants(16, 1).find((m) => m.kind === 'truncate' && m.base === 'mlp')!;
    const r = await runMutant(truncated, 'inspect');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a valid ONNX model: the protobuf data is corrupt or truncated/);
  });
});
