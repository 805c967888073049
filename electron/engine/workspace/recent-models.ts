import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../onnx/atomic-files.js';
import { dataFolderFailure } from './data-dir.js';

const MAX_RECENT = 12;

/**
 * The recently opened models, newest first, persisted as `recent.json` in the data folder. Shared by every
 * host (the app's File > Open Recent menu, the empty state in the app and in `serve`).
 */
export class RecentModels {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(paths: string[]) => void>();

  constructor(private readonly file: string) {}

  onChange(listener: (paths: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async list(): Promise<string[]> {
    try {
      const json = JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as unknown;
      const paths = (json as { paths?: unknown }).paths;
      return Array.isArray(paths)
        ? paths.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT)
        : [];
    } catch {
      // Missing or damaged: an empty list is the honest answer, and the next add rewrites the file.
      return [];
    }
  }

  /** Puts `modelPath` first. */
  add(modelPath: string): Promise<string[]> {
    const resolved = path.resolve(modelPath);
    return this.write((paths) => [resolved, ...paths.filter((p) => p !== resolved)]);
  }

  clear(): Promise<string[]> {
    return this.write(() => []);
  }

  private write(change: (paths: string[]) => string[]): Promise<string[]> {
    const next = this.chain.then(async () => {
      const paths = change(await this.list()).slice(0, MAX_RECENT);
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, paths }, null, 1)}\n`);
      } catch (error) {
        throw dataFolderFailure(error, path.dirname(this.file));
      }
      for (const listener of this.listeners) listener(paths);
      return paths;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
