import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { decodeModel } from '../../onnx/decode-model.js';
import { normalizeDomain } from '../../onnx/domains.js';
import { createSession } from '../../runtime/create-session.js';

/*
 * What onnxruntime actually runs: loads a model with graph optimizations on, has onnxruntime write
 * the optimized graph (`optimizedModelFilePath`), and reads it back, so tests and benchmarks can check
 * which fusions applied (e.g. DynamicQuantizeMatMul / MatMulIntegerToFloat for int8-dynamic).
 */

export interface OptimizedGraph {
  model: ModelProto;
  /** Main-graph node count per op type, as `domain:OpType` for non-default domains (`com.microsoft:Gelu`). */
  opCounts: Map<string, number>;
}

/**
 * The graph onnxruntime's CPU provider runs after optimization at `level` (default 'extended': every
 * fusion that is not hardware-specific; 'all' adds layout transforms such as NCHWc for Conv).
 */
export async function optimizedGraph(
  model: string | Uint8Array,
  level: 'basic' | 'extended' | 'all' = 'extended',
): Promise<OptimizedGraph> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-optimized-'));
  try {
    const file = path.join(dir, 'optimized.onnx');
    const session = await createSession(model, {
      graphOptimizationLevel: level,
      optimizedModelFilePath: file,
    });
    await session.release();
    const optimized = decodeModel(fs.readFileSync(file));
    const opCounts = new Map<string, number>();
    for (const node of optimized.graph?.node ?? []) {
      const domain = normalizeDomain(node.domain);
      const key = domain === '' ? node.opType : `${domain}:${node.opType}`;
      opCounts.set(key, (opCounts.get(key) ?? 0) + 1);
    }
    return { model: optimized, opCounts };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
