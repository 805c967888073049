import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../onnx/atomic-files.js';
import { dataFolderFailure } from './data-dir.js';

/**
 * A small JSON document of the data folder (the recent list, a job history file). Every change is a
 * read-modify-write, one at a time in this process, re-reading the file rather than trusting a copy, and written
 * atomically (onnx/atomic-files.ts): a crash leaves the old or the new file, never half of one. This class locks
 * nothing between processes: a document that hosts sharing the folder (the app beside `serve`) change holds a lock
 * file around each change (the recent list: data-file-lock.ts), or has one writer per host (the job history writes
 * a file per host, jobs/job-history.ts). A failure to write says what is wrong with the data folder (data-dir.ts).
 */
export class JsonDataFile {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The document, or undefined when there is none or it is damaged (the next change writes it anew). */
  async read(): Promise<unknown> {
    try {
      return JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /**
   * After every earlier change: reads the document, writes the one `change` makes of it, and returns what
   * `change` returned with it. A `document` left undefined writes nothing (nothing changed, or the file is not
   * one to overwrite).
   */
  change<T>(change: (current: unknown) => { document?: unknown; value: T }): Promise<T> {
    const next = this.chain.then(async () => {
      const { document, value } = change(await this.read());
      if (document === undefined) return value;
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, `${JSON.stringify(document, null, 1)}\n`);
      } catch (error) {
        throw dataFolderFailure(error, path.dirname(this.file));
      }
      return value;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every change asked for so far was written, or failed. */
  async settled(): Promise<void> {
    await this.chain;
  }
}
