import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema } from 'onnx-buf';
import '../prune/all-methods.js';
import { type PruneReport, pruneModel } from '../prune/prune-model.js';
import { modelBytes } from './model-fixtures.js';
import { makeTempDir } from './temp-dir.js';

/**
 * A temporary folder for pruning tests: `save` writes a model into it, `prune` runs pruneModel on a file there
 * and reads the output back. Call `cleanup` in afterAll.
 */
export function pruneRuns(prefix: string): {
  /** The folder itself, for files a test writes another way. */
  dir: string;
  save(model: ModelProto): string;
  prune(
    input: string,
    method: string,
    common: Record<string, unknown>,
    options?: Record<string, unknown>,
  ): Promise<{ report: PruneReport; model: ModelProto }>;
  cleanup(): void;
} {
  const tmp = makeTempDir(prefix);
  let counter = 0;
  return {
    dir: tmp.dir,
    save(model) {
      const file = path.join(tmp.dir, `in-${counter++}.onnx`);
      fs.writeFileSync(file, modelBytes(model));
      return file;
    },
    async prune(input, method, common, options = {}) {
      const output = path.join(tmp.dir, `out-${counter++}.onnx`);
      const report = await pruneModel({ input, output, method, common, options });
      return { report, model: fromBinary(ModelProtoSchema, fs.readFileSync(output)) };
    },
    cleanup: () => tmp.cleanup(),
  };
}

/** How many values are exactly zero. */
export const zeros = (v: Float32Array): number => v.reduce((n, x) => n + (x === 0 ? 1 : 0), 0);
