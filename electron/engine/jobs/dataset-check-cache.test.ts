import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetCheckReport } from '../../../shared/ipc-contract.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { checkedPaths, DatasetCheckCache, type DatasetCheckTask } from './dataset-check-cache.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-check-cache-');
  fs.writeFileSync(path.join(tmp.dir, 'model.onnx'), 'model');
  fs.writeFileSync(path.join(tmp.dir, 'inputs.npy'), 'inputs');
  fs.writeFileSync(path.join(tmp.dir, 'labels.npy'), 'labels');
  for (const [cls, file] of [
    ['cat', '1.png'],
    ['cat', '2.png'],
    ['dog', '3.png'],
  ]) {
    fs.mkdirSync(path.join(tmp.dir, 'images', cls!), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'images', cls!, file!), 'png');
  }
});
afterEach(() => tmp.cleanup());

const npyTask = (change: Partial<DatasetCheckTask> = {}): DatasetCheckTask => ({
  kind: 'checkDataset',
  model: path.join(tmp.dir, 'model.onnx'),
  data: { kind: 'npy', path: 'inputs.npy', labels: 'labels.npy' },
  baseDir: tmp.dir,
  role: 'evaluation',
  shapes: { input: [1, 3] },
  ...change,
});
const imagesTask = (): DatasetCheckTask => npyTask({ data: { kind: 'images', path: 'images' } });

/** Moves a file's times by `ms` (as `touch` does), content unchanged. */
function touch(file: string, ms = 5_000): void {
  const { atime, mtime } = fs.statSync(file);
  fs.utimesSync(file, atime, new Date(mtime.getTime() + ms));
}

const report = (name: string) =>
  ({
    identity: { name, samples: 1, sha256: 'x' },
    inputs: [],
    hasLabels: true,
    warnings: [],
  }) as DatasetCheckReport;

describe('the key of a data check', () => {
  it('names the model and the data files, resolved against the base folder', () => {
    expect(checkedPaths(npyTask())).toEqual(
      ['model.onnx', 'inputs.npy', 'labels.npy'].map((f) => path.join(tmp.dir, f)),
    );
    expect(checkedPaths(npyTask({ data: { kind: 'synthetic', samples: 4 } }))).toEqual([
      path.join(tmp.dir, 'model.onnx'),
    ]);
  });

  it('stays the same while nothing changes, whatever the order of the request keys', async () => {
    const cache = new DatasetCheckCache();
    const key = await cache.keyOf(npyTask());
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await cache.keyOf(npyTask())).toBe(key);
    const { data: _data, ...rest } = npyTask();
    const reordered: DatasetCheckTask = {
      data: { labels: 'labels.npy', path: 'inputs.npy', kind: 'npy' },
      ...rest,
    };
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(npyTask()));
    expect(await cache.keyOf(reordered)).toBe(key);
  });

  it('changes with anything the report depends on in the request', async () => {
    const cache = new DatasetCheckCache();
    const key = await cache.keyOf(npyTask());
    const changes: Partial<DatasetCheckTask>[] = [
      { shapes: { input: [1, 4] } },
      { values: { input: { kind: 'constant', value: 1 } } },
      { role: 'calibration' },
      { name: 'my data' },
      { data: { kind: 'npy', path: 'inputs.npy' } },
      { data: { kind: 'npy', path: 'inputs.npy', labels: 'labels.npy', limit: 3 } },
    ];
    for (const change of changes)
      expect(await cache.keyOf(npyTask(change)), JSON.stringify(change)).not.toBe(key);
  });

  it('changes when a file is touched, rewritten, or replaced by another of the same size', async () => {
    const cache = new DatasetCheckCache();
    const inputs = path.join(tmp.dir, 'inputs.npy');
    let key = await cache.keyOf(npyTask());
    touch(inputs);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    // Same size, same mtime put back: the ctime still tells.
    const { atime, mtime } = fs.statSync(inputs);
    await new Promise((resolve) => setTimeout(resolve, 20));
    fs.writeFileSync(inputs, 'INPUTS');
    fs.utimesSync(inputs, atime, mtime);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    fs.writeFileSync(path.join(tmp.dir, 'other.npy'), 'inputs');
    fs.renameSync(path.join(tmp.dir, 'other.npy'), inputs);
    expect(await cache.keyOf(npyTask())).not.toBe(key);

    key = await cache.keyOf(npyTask());
    touch(path.join(tmp.dir, 'model.onnx'));
    expect(await cache.keyOf(npyTask())).not.toBe(key);
  });

  it('changes when an image folder gains, loses or renames an image, or one is rewritten', async () => {
    const cache = new DatasetCheckCache();
    const cat = path.join(tmp.dir, 'images', 'cat');
    const steps: (() => void)[] = [
      () => fs.writeFileSync(path.join(cat, '4.png'), 'png'),
      () => fs.rmSync(path.join(cat, '4.png')),
      () => fs.renameSync(path.join(cat, '1.png'), path.join(cat, '0.png')),
      () => touch(path.join(tmp.dir, 'images', 'dog', '3.png')),
      () => fs.mkdirSync(path.join(tmp.dir, 'images', 'bird')),
    ];
    for (const step of steps) {
      const key = await cache.keyOf(imagesTask());
      step();
      expect(await cache.keyOf(imagesTask()), step.toString()).not.toBe(key);
    }
  });

  it('is undefined when a file is missing: such a check always runs', async () => {
    const cache = new DatasetCheckCache();
    fs.rmSync(path.join(tmp.dir, 'labels.npy'));
    expect(await cache.keyOf(npyTask())).toBeUndefined();
    expect(await cache.keyOf(npyTask({ model: path.join(tmp.dir, 'gone.onnx') }))).toBeUndefined();
  });
});

describe('the kept checks', () => {
  it('answers a copy, and forgets the least recently used past its size', () => {
    const cache = new DatasetCheckCache(2);
    cache.keep('a', { report: report('a'), counts: { done: 4, total: 4 } });
    cache.keep('b', { report: report('b') });
    const a = cache.get('a')!;
    expect(a).toEqual({ report: report('a'), counts: { done: 4, total: 4 } });
    a.report.warnings.push('changed by a caller');
    expect(cache.get('a')!.report.warnings).toEqual([]);
    // 'a' was used last: 'b' goes when 'c' comes.
    cache.keep('c', { report: report('c') });
    expect(cache.count).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.report.identity.name).toBe('a');
    expect(cache.get('c')?.report.identity.name).toBe('c');
  });
});
