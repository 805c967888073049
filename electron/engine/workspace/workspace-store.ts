import { isRecord } from '../../../shared/is-record.js';
import { renamedVariantName, uniqueVariantName } from '../../../shared/variant-naming.js';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelSummary } from '../../../shared/model-summary.js';
import {
  ORIGINAL_TARGET,
  WORKSPACE_VERSION,
  type BenchRecord,
  type EvalRecord,
  type Workspace,
  type WorkspaceListing,
  type WorkspaceVariant,
} from '../../../shared/workspace.js';
import { StudioError } from '../errors.js';
import { removeQuietly, writeFileAtomic } from '../onnx/atomic-files.js';
import { variantDataFiles, variantSha256 } from './variant-files.js';
import { dataFolderFailure } from './data-dir.js';

/*
 * Workspaces on disk, one folder per original model:
 *
 *   <root>/<key>/workspace.json     the Workspace (shared/workspace.ts), written atomically
 *   <root>/<key>/variants/*.onnx    the variants' files
 *
 * Every change is read-modify-write of workspace.json under a per-workspace lock, re-reading the file each
 * time rather than trusting a cached copy, so two hosts sharing the data folder (the app and `serve`) lose
 * at most a race, never the file. Temporary files plus rename mean a crash leaves the old or the new file,
 * never half of one.
 */

const WORKSPACE_FILE = 'workspace.json';
const VARIANTS_DIR = 'variants';
/** Benchmarks older than the newest this many keep their statistics but drop their raw samples. */
const RECORDS_WITH_SAMPLES = 20;
const KEY_PATTERN = /^[a-z0-9][a-z0-9-]{0,90}$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

function nowIso(): string {
  return new Date().toISOString();
}

function slug(text: string, max = 40): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return s || 'model';
}

/** A new id with a prefix: `v-` variants, `b-` benchmarks, `e-` evaluations. */
export function newId(prefix: 'v' | 'b' | 'e' | 'p'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** The folder and file names of a model's workspace derive from its absolute path. */
export function workspaceKey(modelPath: string): string {
  let resolved = path.resolve(modelPath);
  // Windows and macOS file systems are usually case-insensitive: one model, one workspace.
  if (process.platform === 'win32' || process.platform === 'darwin') resolved = resolved.toLowerCase();
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 12);
  return `${slug(path.basename(modelPath, path.extname(modelPath)))}-${hash}`;
}

export function isWorkspaceKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** A light structural check of a file we wrote (a hand-edited or foreign file is refused, not trusted). */
function checkWorkspace(value: unknown, file: string): Workspace {
  if (!isRecord(value) || typeof value.version !== 'number') {
    throw new StudioError(
      'IO',
      `${file} is not an ONNX Studio workspace. Move it away; the workspace starts empty again.`,
    );
  }
  if (value.version > WORKSPACE_VERSION) {
    throw new StudioError(
      'IO',
      `${file} was written by a newer ONNX Studio (format ${value.version}, this one reads ${WORKSPACE_VERSION}). Update ONNX Studio to open it.`,
    );
  }
  if (
    !isRecord(value.model) ||
    !Array.isArray(value.variants) ||
    !Array.isArray(value.benchmarks) ||
    !Array.isArray(value.evaluations)
  ) {
    throw new StudioError(
      'IO',
      `${file} is damaged (missing model, variants or results). Move it away; the workspace starts empty again.`,
    );
  }
  return value as unknown as Workspace;
}

async function statBytes(file: string): Promise<{ bytes: number; mtimeMs: number } | undefined> {
  try {
    const st = await fs.promises.stat(file);
    return st.isFile() ? { bytes: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sha256 of a single-file variant (variant-files.ts; none with external data), or an IO error naming the
 * file it could not read.
 */
async function hashVariant(file: string): Promise<string | undefined> {
  try {
    return await variantSha256(file);
  } catch (error) {
    throw new StudioError(
      'IO',
      `Cannot read the variant file ${file} just written (${(error as Error).message}). Check the disk and make the variant again.`,
    );
  }
}

export interface NewVariantSlot {
  id: string;
  /** Where the job should write the variant (inside the workspace folder; the folder exists). */
  path: string;
}

/** What a job adds to the workspace once its variant file is written. */
export type VariantInput = Omit<
  WorkspaceVariant,
  'id' | 'path' | 'createdAt' | 'name' | 'fileBytes' | 'sha256' | 'cliCommand' | 'cliOutput'
> & {
  /** Wanted display name; made unique (`int8-dynamic (2)`). */
  name: string;
  /**
   * The command(s) that make it again and the file they write, from the workspace as it is when the variant is
   * added (inside the store's lock): two jobs that finish together get files of their own.
   */
  reproduce: (ws: Workspace) => { command: string; output: string };
};

export type WorkspaceListener = (change: { modelPath: string; key: string }) => void;

/** Reads and writes workspaces under one root folder (the user's data folder, or a temp folder in tests). */
export class WorkspaceStore {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly listeners = new Set<WorkspaceListener>();

  constructor(readonly root: string) {}

  /** Called after every change (variant or result added, renamed, removed). */
  onChange(listener: WorkspaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  folderFor(modelPath: string): string {
    return path.join(this.root, workspaceKey(modelPath));
  }

  private fileFor(key: string): string {
    return path.join(this.root, key, WORKSPACE_FILE);
  }

  /** Runs `task` after every earlier task on the same workspace has finished. */
  private serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  private async read(key: string): Promise<Workspace | undefined> {
    const file = this.fileFor(key);
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StudioError(
        'IO',
        `Cannot read the workspace file ${file}: ${(error as Error).message}. Check the folder's permissions.`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // A damaged file (edited by hand, a disk error) must not lock the user out of the model: keep it aside.
      const aside = `${file}.damaged-${Date.now()}`;
      await fs.promises.rename(file, aside).catch(() => undefined);
      return undefined;
    }
    return checkWorkspace(json, file);
  }

  private async fresh(modelPath: string, key: string): Promise<Workspace> {
    const resolved = path.resolve(modelPath);
    const st = await statBytes(resolved);
    const now = nowIso();
    return {
      version: WORKSPACE_VERSION,
      key,
      model: { path: resolved, fileBytes: st?.bytes ?? 0, mtimeMs: st?.mtimeMs ?? 0 },
      createdAt: now,
      updatedAt: now,
      variants: [],
      benchmarks: [],
      evaluations: [],
    };
  }

  /** Refreshes what the workspace knows about the original file (size, mtime; a stale summary is dropped). */
  private async refreshModel(ws: Workspace): Promise<void> {
    const st = await statBytes(ws.model.path);
    if (!st) return;
    if (st.mtimeMs !== ws.model.mtimeMs) delete ws.model.summary;
    ws.model.mtimeMs = st.mtimeMs;
    ws.model.fileBytes = st.bytes + (ws.model.summary?.externalDataBytes ?? 0);
  }

  /** The workspace of a model; an empty one (not yet written) when nothing was made for it. */
  async get(modelPath: string): Promise<Workspace> {
    const key = workspaceKey(modelPath);
    const ws = (await this.read(key)) ?? (await this.fresh(modelPath, key));
    await this.refreshModel(ws);
    return ws;
  }

  /** The workspace with this key, if one was ever written (for serving its files by key). */
  async getByKey(key: string): Promise<Workspace | undefined> {
    if (!isWorkspaceKey(key)) return undefined;
    return this.read(key);
  }

  /** Applies `mutate` to the current workspace and writes it atomically; returns what `mutate` returned. */
  async update<T>(modelPath: string, mutate: (ws: Workspace) => T | Promise<T>): Promise<T> {
    const key = workspaceKey(modelPath);
    const result = await this.serialize(key, async () => {
      const ws = (await this.read(key)) ?? (await this.fresh(modelPath, key));
      await this.refreshModel(ws);
      const value = await mutate(ws);
      ws.updatedAt = nowIso();
      try {
        await fs.promises.mkdir(path.join(this.root, key), { recursive: true });
        await writeFileAtomic(this.fileFor(key), `${JSON.stringify(ws, null, 1)}\n`);
      } catch (error) {
        throw dataFolderFailure(error, this.root);
      }
      return value;
    });
    for (const listener of this.listeners) listener({ modelPath: path.resolve(modelPath), key });
    return result;
  }

  /** Records the latest inspect summary of the original. */
  async setSummary(modelPath: string, summary: ModelSummary): Promise<void> {
    await this.update(modelPath, (ws) => {
      ws.model.summary = summary;
      ws.model.fileBytes = summary.fileBytes + summary.externalDataBytes;
    });
  }

  /** A fresh id and file path for a variant a job is about to write (nothing is recorded yet). */
  async newVariantSlot(modelPath: string, methodName: string): Promise<NewVariantSlot> {
    const id = newId('v');
    const dir = path.join(this.folderFor(modelPath), VARIANTS_DIR);
    await fs.promises.mkdir(dir, { recursive: true }).catch((error: unknown) => {
      throw dataFolderFailure(error, this.root);
    });
    return { id, path: path.join(dir, `${id}-${slug(methodName, 30)}.onnx`) };
  }

  /** Records a variant whose file `slot.path` is now complete. */
  async addVariant(modelPath: string, slot: NewVariantSlot, input: VariantInput): Promise<WorkspaceVariant> {
    const st = await statBytes(slot.path);
    if (!st)
      throw new StudioError('INTERNAL', `The variant file ${slot.path} is missing after it was written.`);
    const externalBytes = input.report.outputBytes > st.bytes ? input.report.outputBytes - st.bytes : 0;
    // Before taking the workspace's lock: hashing a multi-GB variant takes seconds.
    const sha256 = await hashVariant(slot.path);
    return this.update(modelPath, (ws) => {
      const { reproduce, ...fields } = input;
      const { command, output } = reproduce(ws);
      const variant: WorkspaceVariant = {
        ...fields,
        cliCommand: command,
        cliOutput: path.basename(output),
        id: slot.id,
        name: uniqueVariantName(ws, input.name),
        path: slot.path,
        fileBytes: st.bytes + externalBytes,
        ...(sha256 !== undefined ? { sha256 } : {}),
        createdAt: nowIso(),
      };
      ws.variants.push(variant);
      return variant;
    });
  }

  async renameVariant(modelPath: string, variantId: string, name: string): Promise<WorkspaceVariant> {
    return this.update(modelPath, (ws) => {
      const variant = ws.variants.find((v) => v.id === variantId);
      if (!variant)
        throw new StudioError(
          'BAD_REQUEST',
          `There is no variant '${variantId}' in the workspace of ${ws.model.path}. Reload the workspace.`,
        );
      const renamed = renamedVariantName(ws.variants, variantId, name);
      if ('problem' in renamed) throw new StudioError('BAD_REQUEST', renamed.problem);
      variant.name = renamed.name;
      return variant;
    });
  }

  /** Deletes a variant's file (and its external data) and every result that measured it. */
  async removeVariant(modelPath: string, variantId: string): Promise<boolean> {
    const removed = await this.update(modelPath, (ws) => {
      const index = ws.variants.findIndex((v) => v.id === variantId);
      if (index < 0) return undefined;
      const [variant] = ws.variants.splice(index, 1);
      for (const record of ws.benchmarks)
        record.results = record.results.filter((r) => r.target !== variantId);
      ws.benchmarks = ws.benchmarks.filter((r) => r.results.length > 0);
      ws.evaluations = ws.evaluations.filter((e) => e.target !== variantId && e.reference !== variantId);
      return variant;
    });
    if (!removed) return false;
    // Only files inside the workspace folder are ever deleted.
    const variantsDir = path.join(this.folderFor(modelPath), VARIANTS_DIR);
    if (path.dirname(path.resolve(removed.path)) === variantsDir) {
      removeQuietly(removed.path);
      for (const file of await variantDataFiles(removed.path)) removeQuietly(file);
    }
    return true;
  }

  async addBenchRecord(
    modelPath: string,
    record: Omit<BenchRecord, 'id' | 'createdAt'>,
  ): Promise<BenchRecord> {
    return this.update(modelPath, (ws) => {
      const full: BenchRecord = { id: newId('b'), createdAt: nowIso(), ...record };
      ws.benchmarks.push(full);
      for (const old of ws.benchmarks.slice(0, Math.max(0, ws.benchmarks.length - RECORDS_WITH_SAMPLES))) {
        for (const result of old.results) delete result.samples;
      }
      return full;
    });
  }

  async addEvalRecord(modelPath: string, record: Omit<EvalRecord, 'id' | 'createdAt'>): Promise<EvalRecord> {
    return this.update(modelPath, (ws) => {
      const full: EvalRecord = { id: newId('e'), createdAt: nowIso(), ...record };
      ws.evaluations.push(full);
      return full;
    });
  }

  /** The file a target names: the original model, or a variant of it. */
  async resolveTarget(
    modelPath: string,
    target: string,
  ): Promise<{ path: string; variant?: WorkspaceVariant }> {
    if (target === ORIGINAL_TARGET) return { path: path.resolve(modelPath) };
    if (!ID_PATTERN.test(target)) throw new StudioError('BAD_REQUEST', `'${target}' is not a variant id.`);
    const ws = await this.get(modelPath);
    const variant = ws.variants.find((v) => v.id === target);
    if (!variant) {
      throw new StudioError(
        'BAD_REQUEST',
        `There is no variant '${target}' in the workspace of ${path.basename(modelPath)}; it may have been removed. Reload the workspace.`,
      );
    }
    return { path: variant.path, variant };
  }

  /** Every workspace written so far, most recently changed first. */
  async list(): Promise<WorkspaceListing[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.root);
    } catch {
      return [];
    }
    const listings: WorkspaceListing[] = [];
    for (const key of names) {
      if (!isWorkspaceKey(key)) continue;
      let ws: Workspace | undefined;
      try {
        ws = await this.read(key);
      } catch {
        continue;
      }
      if (!ws) continue;
      listings.push({
        key,
        modelPath: ws.model.path,
        variants: ws.variants.length,
        updatedAt: ws.updatedAt,
        modelExists: (await statBytes(ws.model.path)) !== undefined,
      });
    }
    return listings.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
}

