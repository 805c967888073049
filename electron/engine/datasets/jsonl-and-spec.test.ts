import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_KINDS, parseDatasetSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { makeTempDir } from '../testing/temp-dir.js';
import type { DatasetSource } from './dataset-source.js';
import { encodeNpyArray } from './npy-format.js';
import { datasetReaders, openDataset, readDatasetSpecFile } from './open-dataset.js';
import type { Sample } from './sample-source.js';

const ELEM = { float32: DT.FLOAT, int64: DT.INT64, bool: DT.BOOL, float16: DT.FLOAT16 } as const;
function input(name: string, type: keyof typeof ELEM, declared: (number | string | null)[]): ResolvedInput {
  return { name, elemType: ELEM[type], ortType: type, declared, dims: declared.map((d) => (typeof d === 'number' ? d : 1)), guessedAxes: openAxes(declared) };
}

/** Open dims the test sizes as 1, as resolveInputs marks the dims nothing set. */
function openAxes(declared: (number | string | null)[]): number[] {
  return declared.flatMap((d, i) => (typeof d === 'number' ? [] : [i]));
}

async function collect(source: DatasetSource): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples()) out.push(s);
  return out;
}

async function expectError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe(code);
  expect((error as StudioError).message).toMatch(message);
}

describe('.jsonl data', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());
  const write = (name: string, lines: unknown[]) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
    return file;
  };
  const model = [input('ids', 'int64', ['batch', 'seq']), input('mask', 'bool', ['batch', 'seq']), input('x', 'float32', [2])];

  it('reads flat and nested data with dims, per-line sequence lengths, bools and labels', async () => {
    const file = write('a.jsonl', [
      { inputs: { ids: { dims: [3], data: [1, 2, 3] }, mask: { dims: [3], data: [true, true, false] }, x: [0.5, 1.5] }, label: 2 },
      '',
      { inputs: { ids: { data: [[4, 5]] }, mask: [[1, 0]], x: { dims: [2], data: [2, 3] } }, label: 0 },
      '   ',
    ]);
    const source = await openDataset({ kind: 'jsonl', path: file }, model);
    expect(source.count).toBe(2);
    expect(source.hasLabels).toBe(true);
    const samples = await collect(source);
    expect(samples[0]!.inputs.ids!.dims).toEqual([1, 3]);
    expect(samples[0]!.inputs.ids!.data).toEqual(BigInt64Array.from([1n, 2n, 3n]));
    expect(Array.from(samples[0]!.inputs.mask!.data as Uint8Array)).toEqual([1, 1, 0]);
    expect(samples[0]!.inputs.x!.dims).toEqual([2]);
    expect(samples[1]!.inputs.ids!.dims).toEqual([1, 2]);
    expect(Array.from(samples[1]!.inputs.x!.data as Float32Array)).toEqual([2, 3]);
    expect(samples.map((s) => s.label)).toEqual([2, 0]);
  });

  it('reads vector labels and unlabeled files', async () => {
    const one = [input('x', 'float32', ['n', 2])];
    const vec = await collect(await openDataset({ kind: 'jsonl', path: write('v.jsonl', [{ inputs: { x: [1, 2] }, label: [0.5, -1] }]) }, one));
    expect(vec[0]!.label).toEqual(Float64Array.from([0.5, -1]));
    const none = await openDataset({ kind: 'jsonl', path: write('n.jsonl', [{ inputs: { x: [1, 2] } }]) }, one);
    expect(none.hasLabels).toBe(false);
  });

  it('checks the first line against the model before any sample, naming the line and input', async () => {
    const one = [input('x', 'float32', ['n', 2])];
    await expectError(openDataset({ kind: 'jsonl', path: write('b1.jsonl', [{ inputs: { y: [1, 2] } }]) }, one), 'BAD_REQUEST', /b1\.jsonl line 1: no data for input 'x'; 'y' is not an input/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b2.jsonl', [{ inputs: { x: [1, 2, 3] } }]) }, one), 'BAD_INPUT', /Input 'x': the model expects float32 \[n, 2\], but b2\.jsonl line 1 has .* \[3\]: dim 1 is 3 where the model fixes 2/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b3.jsonl', ['{"inputs": ']) }, one), 'BAD_REQUEST', /b3\.jsonl line 1 is not valid JSON/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b4.jsonl', [{ inputs: { x: { dims: [3], data: [1, 2] } } }]) }, one), 'BAD_REQUEST', /dims \[3\] hold 3 values but "data" has 2/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b5.jsonl', [{ inputs: { x: [1, 2] }, extra: 1 }]) }, one), 'BAD_REQUEST', /unknown field "extra"/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b6.jsonl', [{ inputs: { ids: [[1.5]], mask: [[1]], x: [1, 2] } }]) }, model), 'BAD_REQUEST', /value 1\.5 .* not a whole number.*int64/);
    await expectError(openDataset({ kind: 'jsonl', path: write('b7.jsonl', [{ inputs: { x: [[1, 2], [3]] } }]) }, one), 'BAD_REQUEST', /ragged/);
    await expectError(openDataset({ kind: 'jsonl', path: write('empty.jsonl', ['', ' ']) }, one), 'BAD_REQUEST', /holds no samples/);
    await expectError(
      openDataset({ kind: 'jsonl', path: write('b8.jsonl', [{ inputs: { ids: [[1, 2]], mask: [[1, 1, 1]], x: [1, 2] } }]) }, model),
      'BAD_INPUT',
      /dim 'seq' is 3 here but 2 for input 'ids'/,
    );
  });

  it('reports a bad later line with its line number, and a missing label', async () => {
    const one = [input('x', 'float32', ['n', 2])];
    const file = write('later.jsonl', [{ inputs: { x: [1, 2] }, label: 1 }, { inputs: { x: [1, 2] }, label: 0 }, { inputs: { x: [1, 2] } }]);
    await expectError(collect(await openDataset({ kind: 'jsonl', path: file }, one)), 'BAD_REQUEST', /later\.jsonl line 3 has no "label"/);
  });
});

describe('dataset specs', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('registers one reader per kind', () => {
    expect(datasetReaders().map((r) => r.kind)).toEqual([...DATASET_KINDS]);
  });

  it('refuses unknown fields and kinds with a message naming them', () => {
    const a = parseDatasetSpec({ kind: 'images', path: 'x', preprocessing: { size: 224, colour: 'rgb' } });
    expect(a).toEqual({
      ok: false,
      message:
        "preprocessing: unknown key 'colour'; it takes size, resize, cropFraction, interpolation, channels, layout, scale, mean, std, dtype",
    });
    const b = parseDatasetSpec({ kind: 'csv', path: 'x' });
    expect(b.ok).toBe(false);
    expect(!b.ok && b.message).toMatch(/kind: .*'synthetic' \| 'npy' \| 'npz' \| 'jsonl' \| 'images'/);
    expect(parseDatasetSpec({ kind: 'synthetic', samples: 0 }).ok).toBe(false);
    expect(parseDatasetSpec({ kind: 'images', path: 'x', preprocessing: { std: [0.5, 0] } }).ok).toBe(false);
    expect(parseDatasetSpec({ kind: 'synthetic', samples: 3 })).toEqual({ ok: true, spec: { kind: 'synthetic', samples: 3, seed: 0 } });
  });

  it('reads a spec file with paths relative to it', async () => {
    const dir = path.join(tmp.dir, 'specs');
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'x.npy'), encodeNpyArray(Float32Array.from([1, 2, 3, 4]), 'float32', [2, 2]));
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ kind: 'npy', path: 'data/x.npy', limit: 1 }));
    const { spec, baseDir } = await readDatasetSpecFile(path.join(dir, 'spec.json'));
    expect(baseDir).toBe(dir);
    const samples = await collect(await openDataset(spec, [input('x', 'float32', ['n', 2])], { baseDir }));
    expect(samples.length).toBe(1);
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ kind: 'npy', path: 'data/x.npy', lables: 'y.npy' }));
    await expectError(readDatasetSpecFile(path.join(dir, 'bad.json')), 'BAD_REQUEST', /bad\.json is not a valid dataset spec: unknown key 'lables' \(did you mean 'labels'\?\); it takes kind, path, labels, limit/);
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"kind": ');
    await expectError(readDatasetSpecFile(path.join(dir, 'broken.json')), 'BAD_REQUEST', /broken\.json is not valid JSON/);
    await expectError(readDatasetSpecFile(path.join(dir, 'none.json')), 'IO', /No such file/);
  });

  it('makes synthetic samples shaped from the model, capped by the limit', async () => {
    const source = await openDataset({ kind: 'synthetic', samples: 5, seed: 3 }, [input('x', 'float16', [1, 4])], { limit: 2 });
    expect(source.count).toBe(2);
    expect(source.hasLabels).toBe(false);
    const samples = await collect(source);
    expect(samples.map((s) => s.inputs.x!.dims)).toEqual([[1, 4], [1, 4]]);
    expect(samples[0]!.inputs.x!.type).toBe('float16');
  });
});
