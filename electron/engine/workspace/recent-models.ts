import fs from 'node:fs';
import path from 'node:path';
import { withFileLock } from './data-file-lock.js';
import { dataFolderFailure } from './data-dir.js';
import { JsonDataFile } from './json-data-file.js';

const MAX_RECENT = 12;

/** The paths a `recent.json` document lists; none when it is missing or damaged. */
function pathsOf(json: unknown): string[] {
  const paths = (json as { paths?: unknown } | undefined)?.paths;
  return Array.isArray(paths)
    ? paths.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT)
    : [];
}

/**
 * The recently opened models, newest first, persisted as `recent.json` in the data folder. Shared by every
 * host (the app's File > Open Recent menu, the empty state in the app and in `serve`), and changed by each
 * under a lock (see `write`).
 */
export class RecentModels {
  private readonly data: JsonDataFile;
  private readonly listeners = new Set<(paths: string[]) => void>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.data = new JsonDataFile(file);
  }

  onChange(listener: (paths: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Missing or damaged: an empty list is the honest answer, and the next add rewrites the file. */
  async list(): Promise<string[]> {
    return pathsOf(await this.data.read());
  }

  /** Puts `modelPath` first. */
  add(modelPath: string): Promise<string[]> {
    const resolved = path.resolve(modelPath);
    return this.write((paths) => [resolved, ...paths.filter((p) => p !== resolved)]);
  }

  clear(): Promise<string[]> {
    return this.write(() => []);
  }

  /**
   * One change at a time in this process, each holding the file's lock across processes (data-file-lock.ts):
   * another host on this data folder (the app beside `serve`) changes the list between two, never during one,
   * so neither loses the other's entries.
   */
  private write(change: (paths: string[]) => string[]): Promise<string[]> {
    const next = this.chain.then(async () => {
      const dir = path.dirname(this.data.file);
      try {
        await fs.promises.mkdir(dir, { recursive: true });
      } catch (error) {
        throw dataFolderFailure(error, dir);
      }
      const paths = await withFileLock(this.data.file, () =>
        this.data.change((json) => {
          const changed = change(pathsOf(json)).slice(0, MAX_RECENT);
          return { document: { version: 1, paths: changed }, value: changed };
        }),
      ).catch((error: unknown) => {
        throw dataFolderFailure(error, dir);
      });
      for (const listener of this.listeners) listener(paths);
      return paths;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
