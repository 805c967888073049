import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QuantizeReportInfo } from '../../../shared/job-reports.js';
import { WORKSPACE_VERSION } from '../../../shared/workspace.js';
import { benchRecord } from '../../../renderer/src/state/test-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { writeFailure } from '../onnx/atomic-files.js';
import { dataFolderFailure } from './data-dir.js';
import { RecentModels } from './recent-models.js';
import { WorkspaceStore, workspaceKey } from './workspace-store.js';

const report = (output: string, bytes: number): QuantizeReportInfo => ({
  output,
  method: 'int8-dynamic',
  inputBytes: 1000,
  outputBytes: bytes,
  quantizedNodes: 3,
  skippedNodes: [],
  seconds: 0.1,
  notes: [],
});

describe('WorkspaceStore', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let model: string;
  beforeEach(() => {
    tmp = makeTempDir();
    model = path.join(tmp.dir, 'models', 'My Model.onnx');
    fs.mkdirSync(path.dirname(model));
    fs.writeFileSync(model, Buffer.alloc(1000, 1));
  });
  afterEach(() => tmp.cleanup());

  /** Records a variant whose file holds `bytes`, and `data` as its external data file when given. */
  async function addVariant(
    store: WorkspaceStore,
    name = 'int8-dynamic',
    bytes: Buffer = Buffer.alloc(260, 2),
    data?: Buffer,
  ) {
    const slot = await store.newVariantSlot(model, name);
    fs.writeFileSync(slot.path, bytes);
    if (data) fs.writeFileSync(`${slot.path}.data`, data);
    return store.addVariant(model, slot, {
      name,
      parent: 'original',
      recipe: { operation: 'quantize', method: name, common: {}, options: {} },
      report: report(slot.path, bytes.length + (data?.length ?? 0)),
      reproduce: () => ({
        command: `onnx-studio quantize x -o /m/y.onnx --method ${name}`,
        output: '/m/y.onnx',
      }),
    });
  }

  const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

  it('gives an empty workspace for a new model without writing anything', async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    const ws = await store.get(model);
    expect(ws).toMatchObject({
      version: WORKSPACE_VERSION,
      key: workspaceKey(model),
      variants: [],
      benchmarks: [],
      evaluations: [],
    });
    expect(ws.model).toMatchObject({ path: path.resolve(model), fileBytes: 1000 });
    expect(fs.existsSync(path.join(tmp.dir, 'data'))).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it('persists variants and results across a restart (a new store on the same folder)', async () => {
    const root = path.join(tmp.dir, 'data');
    const first = new WorkspaceStore(root);
    const changes: string[] = [];
    first.onChange((c) => changes.push(c.key));
    const v = await addVariant(first);
    const { engine, provider, label, notes, results } = benchRecord('b', 'cpu', { original: 2, [v.id]: 1 });
    await first.addBenchRecord(model, { engine, provider, label, notes, results });
    expect(changes).toHaveLength(2);

    const second = new WorkspaceStore(root);
    const ws = await second.get(model);
    expect(ws.variants).toHaveLength(1);
    expect(ws.variants[0]).toMatchObject({
      id: v.id,
      name: 'int8-dynamic',
      fileBytes: 260,
      parent: 'original',
    });
    expect(ws.benchmarks[0]!.results).toEqual(results);
    expect(await second.list()).toEqual([
      expect.objectContaining({
        key: ws.key,
        modelPath: path.resolve(model),
        variants: 1,
        modelExists: true,
      }),
    ]);
    // The file on disk is complete JSON, and no temporary files are left behind.
    const folder = path.join(root, ws.key);
    expect(JSON.parse(fs.readFileSync(path.join(folder, 'workspace.json'), 'utf8')).version).toBe(
      WORKSPACE_VERSION,
    );
    expect(fs.readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('makes names unique, renames, and removes a variant with its file and results', async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    const a = await addVariant(store);
    const b = await addVariant(store);
    expect(b.name).toBe('int8-dynamic (2)');
    expect((await store.renameVariant(model, b.id, 'fast one')).name).toBe('fast one');
    await store.addEvalRecord(model, {
      target: a.id,
      reference: 'original',
      report: {
        model: a.path,
        data: 'd',
        samples: 1,
        task: 'none',
        taskReason: '',
        output: 'y',
        seconds: 0,
        samplesPerSecond: 0,
        timing: { dataMs: 0, inferenceMs: 0, referenceMs: 0 },
        notes: [],
      },
    });
    expect(await store.removeVariant(model, a.id)).toBe(true);
    expect(fs.existsSync(a.path)).toBe(false);
    const ws = await store.get(model);
    expect(ws.variants.map((v) => v.name)).toEqual(['fast one']);
    expect(ws.evaluations).toEqual([]);
    expect(await store.removeVariant(model, a.id)).toBe(false);
    await expect(store.resolveTarget(model, a.id)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await store.resolveTarget(model, 'original')).path).toBe(path.resolve(model));
  });

  it('records the sha256 of each variant file: the same bytes the same hash, other bytes another', async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    // Over one read-stream chunk (64 KiB), so the hash covers every chunk, not just the first.
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const first = await addVariant(store, 'int8-dynamic', bytes);
    const again = await addVariant(store, 'int8-dynamic', Buffer.from(bytes));
    const other = await addVariant(store, 'int8-static', Buffer.concat([bytes, Buffer.from([0])]));
    expect(first.sha256).toBe(sha256(bytes));
    expect(again.sha256).toBe(first.sha256);
    expect(other.sha256).not.toBe(first.sha256);
    // Kept in the workspace file, as the other fields are.
    const saved = await new WorkspaceStore(path.join(tmp.dir, 'data')).get(model);
    expect(saved.variants.map((v) => v.sha256)).toEqual([first.sha256, first.sha256, other.sha256]);
  });

  it('records no sha256 for a variant with external data, and removes that data with the variant', async () => {
    // Its .onnx file names the data file after the variant's id: no two such variants have the same bytes.
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    const onnx = Buffer.alloc(100, 7);
    const a = await addVariant(store, 'int8-dynamic', onnx, Buffer.alloc(5000, 1));
    const b = await addVariant(store, 'int8-dynamic', onnx, Buffer.alloc(5000, 2));
    expect(a.sha256).toBeUndefined();
    expect(b.sha256).toBeUndefined();
    expect(a.fileBytes).toBe(5100);

    expect(await store.removeVariant(model, a.id)).toBe(true);
    expect(fs.existsSync(`${a.path}.data`)).toBe(false);
    expect(fs.existsSync(`${b.path}.data`)).toBe(true);
  });

  it('loads a workspace written before variants had a sha256', async () => {
    const root = path.join(tmp.dir, 'data');
    const store = new WorkspaceStore(root);
    const v = await addVariant(store);
    const file = path.join(root, workspaceKey(model), 'workspace.json');
    const old = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete old.variants[0].sha256;
    fs.writeFileSync(file, JSON.stringify(old));

    const ws = await new WorkspaceStore(root).get(model);
    expect(ws.variants).toHaveLength(1);
    expect(ws.variants[0]).toMatchObject({ id: v.id, name: 'int8-dynamic', fileBytes: 260 });
    expect(ws.variants[0]!.sha256).toBeUndefined();
    // A variant made now is recorded with one beside it.
    expect((await addVariant(store)).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("works out each variant's command inside the store's lock, so two jobs that finish together get files of their own", async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    const add = async (name: string) => {
      const slot = await store.newVariantSlot(model, name);
      fs.writeFileSync(slot.path, Buffer.alloc(10));
      return store.addVariant(model, slot, {
        name,
        parent: 'original',
        recipe: { operation: 'quantize', method: name, common: {}, options: {} },
        report: report(slot.path, 10),
        // As variantCliCommand does: the file depends on the variants made before.
        reproduce: (ws) => {
          const output = `/m/net-int8-dynamic${ws.variants.length > 0 ? `-${ws.variants.length + 1}` : ''}.onnx`;
          return { command: `onnx-studio quantize net.onnx -o ${output}`, output };
        },
      });
    };
    const [a, b] = await Promise.all([add('int8-dynamic'), add('int8-dynamic')]);
    expect(new Set([a.cliOutput, b.cliOutput])).toEqual(
      new Set(['net-int8-dynamic.onnx', 'net-int8-dynamic-2.onnx']),
    );
    expect(a.cliCommand).toContain(`-o /m/${a.cliOutput}`);
  });

  it('serializes concurrent updates so none is lost', async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    await Promise.all(Array.from({ length: 8 }, () => addVariant(store)));
    expect((await store.get(model)).variants).toHaveLength(8);
  });

  it('keeps a damaged workspace file aside instead of failing, and refuses a newer format', async () => {
    const root = path.join(tmp.dir, 'data');
    const store = new WorkspaceStore(root);
    await addVariant(store);
    const file = path.join(root, workspaceKey(model), 'workspace.json');
    fs.writeFileSync(file, '{"version": 1, "model": ');
    expect((await store.get(model)).variants).toEqual([]);
    expect(fs.readdirSync(path.dirname(file)).some((f) => f.startsWith('workspace.json.damaged-'))).toBe(
      true,
    );
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: WORKSPACE_VERSION + 1,
        model: {},
        variants: [],
        benchmarks: [],
        evaluations: [],
      }),
    );
    await expect(store.get(model)).rejects.toThrow(/newer ONNX Studio/);
  });

  it('says which data folder it cannot write and where to keep data instead, not a bare mkdir error', async () => {
    // A file where the data folder should be: what a read-only or vanished data folder looks like to mkdir.
    const blocked = path.join(tmp.dir, 'blocked');
    fs.writeFileSync(blocked, 'not a folder');
    const expected =
      /^ONNX Studio cannot write its data folder .*blocked.*: a file stands where a folder of it should be\. .*--data-dir DIR\.$/;
    const store = new WorkspaceStore(path.join(blocked, 'workspaces'));
    const recent = new RecentModels(path.join(blocked, 'recent.json'));
    for (const attempt of [() => store.newVariantSlot(model, 'fp16'), () => recent.add(model)]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(error?.code).toBe('IO');
      expect(error?.message).toMatch(expected);
    }
    // A read-only file system, as writeFileAtomic words it (its cause is the file system's error).
    const readOnly = Object.assign(new Error('EROFS: read-only file system, open'), {
      code: 'EROFS',
      syscall: 'open',
    });
    const worded = dataFolderFailure(
      writeFailure(readOnly, '/data/workspaces/k/workspace.json'),
      '/data/workspaces',
    );
    expect((worded as Error).message).toMatch(
      /^ONNX Studio cannot write its data folder \/data\/workspaces: its file system is read-only\./,
    );
  });

  it('refuses keys that could name another folder', async () => {
    const store = new WorkspaceStore(path.join(tmp.dir, 'data'));
    expect(await store.getByKey('../etc')).toBeUndefined();
    expect(await store.getByKey('..')).toBeUndefined();
    expect(workspaceKey(model)).toMatch(/^my-model-[0-9a-f]{12}$/);
  });
});

describe('RecentModels', () => {
  it('keeps the newest first without duplicates, persists, and clears', async () => {
    const tmp = makeTempDir();
    try {
      const file = path.join(tmp.dir, 'recent.json');
      const recent = new RecentModels(file);
      await recent.add('/a.onnx');
      await recent.add('/b.onnx');
      await recent.add('/a.onnx');
      expect(await new RecentModels(file).list()).toEqual(['/a.onnx', '/b.onnx']);
      await recent.clear();
      expect(await recent.list()).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
