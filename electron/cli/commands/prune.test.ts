import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../main.js';
import { buildDeepMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { buildResidualBnCnn } from '../../engine/testing/prune-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';

/* The `prune` command in process, through the CLI's own entry (runCli: flag parsing, exit codes). */

function collect(): PassThrough & { text: () => string } {
  const stream = new PassThrough() as PassThrough & { text: () => string };
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  return stream;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collect();
  const stderr = collect();
  const code = await runCli(['prune', ...args], { stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

let tmp: ReturnType<typeof makeTempDir>;
let model: string;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-prune-cli-');
  model = path.join(tmp.dir, 'model.onnx');
  fs.writeFileSync(model, modelBytes(buildResidualBnCnn()));
});
afterEach(() => tmp.cleanup());

describe('onnx-studio prune', () => {
  it('--json prints exactly one JSON object with the contract fields', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    const r = await cli(model, '-o', out, '--method', 'structured', '--sparsity', '0.5', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of [
      'output',
      'method',
      'targetSparsity',
      'achievedSparsity',
      'prunedNodes',
      'removedChannels',
      'inputBytes',
      'outputBytes',
      'layers',
      'skipped',
    ]) {
      expect(json).toHaveProperty(key);
    }
    expect(json).toMatchObject({
      output: out,
      method: 'structured',
      targetSparsity: 0.5,
      removedChannels: 16,
    });
    expect(r.stderr).toMatch(/note: /);
  });

  it('prints a readable table without --json', async () => {
    const r = await cli(
      model,
      '-o',
      path.join(tmp.dir, 'out.onnx'),
      '--method',
      'structured',
      '--sparsity',
      '0.5',
      '--scope',
      'global',
      '--round-to',
      '2',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Sparsity\s+target 50\.0%/);
    expect(r.stdout).toMatch(/stem\.conv\s+Conv\s+8\s+\d+\s+[\d.]+%\s+block\.b\.conv/);
    expect(r.stdout).toMatch(/Skipped\s+Op type\s+Reason/);
    const m = await cli(
      model,
      '-o',
      path.join(tmp.dir, 'm.onnx'),
      '--method',
      'magnitude',
      '--pattern',
      '2:4',
    );
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/Gzipped/);
    expect(m.stdout).toMatch(/target 50\.0%/);
  });

  it('lists the first 20 layers of a deep model, and every layer with --all', async () => {
    const deep = path.join(tmp.dir, 'deep.onnx');
    fs.writeFileSync(deep, modelBytes(buildDeepMlp({ layers: 30, width: 8 })));
    const layerRows = (text: string) => text.split('\n').filter((l) => /^layer\d+_matmul\s+MatMul/.test(l));
    const args = [deep, '-o', path.join(tmp.dir, 'd.onnx'), '--method', 'magnitude', '--sparsity', '0.5', '--force'];
    const short = await cli(...args);
    expect(short.code).toBe(0);
    expect(layerRows(short.stdout)).toHaveLength(20);
    expect(short.stdout).toMatch(/\.\.\. and 10 more \(all 30 with --all or --json\)/);
    const all = await cli(...args, '--all');
    expect(all.code).toBe(0);
    expect(layerRows(all.stdout)).toHaveLength(30);
    expect(all.stdout).not.toMatch(/more \(all/);
  });

  it('exits 2 with a clear message for wrong input', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    const cases: [string[], RegExp][] = [
      [['-o', out, '--method', 'structured', '--sparsity', '0.5'], /Missing MODEL/],
      [[model, '--method', 'structured', '--sparsity', '0.5'], /pass --output/],
      [[model, '-o', out, '--sparsity', '0.5'], /pass --method/],
      [[model, '-o', out, '--method', 'structured'], /--sparsity/],
      [
        [model, '-o', out, '--method', 'structured', '--sparsity', '50%'],
        /--sparsity expects a number, got '50%'/,
      ],
      [
        [model, '-o', out, '--method', 'structured', '--sparsity', '0.5', '--scope', 'net'],
        /--scope must be one of layer, global, got 'net'/,
      ],
      [
        [model, '-o', out, '--method', 'structured', '--sparsity', '0.5', '--pattern', '2:4'],
        /--pattern applies to magnitude only/,
      ],
      [
        [model, '-o', out, '--method', 'magnitude', '--sparsity', '0.5', '--round-to', '8'],
        /--round-to applies to structured only/,
      ],
      [[model, '-o', out, '--method', 'lottery', '--sparsity', '0.5'], /Unknown pruning method/],
      [[model, '-o', model, '--method', 'structured', '--sparsity', '0.5'], /never overwrites/],
      [
        [path.join(tmp.dir, 'missing.onnx'), '-o', out, '--method', 'structured', '--sparsity', '0.5'],
        /No such file/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('lists both methods in its help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/magnitude\s+Zero the smallest weights/);
    expect(r.stdout).toMatch(/structured\s+Remove whole channels/);
  });
});
