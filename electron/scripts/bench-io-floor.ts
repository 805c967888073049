/**
 * bench-io's "floor" side: what a round trip could cost if loading built no message at all (lazy views
 * that decode a node or tensor only when something reads it). It reads the file as loadModel does, walks
 * every record of the model and its graph (each node's and initializer's fields, tensor names read as
 * strings, as an index of a lazy view would need), then writes the same bytes to a temporary file, fsyncs
 * and renames it as saveModel does. No real command can be this cheap, since every command reads the
 * graph; the figure bounds what redesigning the engine around lazy views could gain (issue 16, target 5).
 */
import fs from 'node:fs';
import { tempPathFor } from '../engine/onnx/atomic-files.js';
import { readWholeFile } from '../engine/onnx/read-whole-file.js';
import { DELIMITED, WireReader, tag } from '../engine/onnx/wire-reader.js';

/** How deep a skipped group may nest (protobuf-es's limit, less what the walk itself holds). */
const SKIP_DEPTH = 90;
const GRAPH = tag(7, DELIMITED);
const NODE = tag(1, DELIMITED);
const INITIALIZER = tag(5, DELIMITED);
const TENSOR_NAME = tag(8, DELIMITED);

/** Walks every record of the model in `bytes`; returns how many nodes and initializers it has. */
function walkModel(bytes: Uint8Array): { nodes: number; initializers: number } {
  const r = new WireReader(bytes);
  let nodes = 0;
  let initializers = 0;
  while (r.pos < r.len) {
    const t = r.tag();
    if (t !== GRAPH) {
      r.skip(t, SKIP_DEPTH);
      continue;
    }
    const graphEnd = r.delimitedEnd();
    while (r.pos < graphEnd) {
      const field = r.tag();
      if (field !== NODE && field !== INITIALIZER) {
        r.skip(field, SKIP_DEPTH);
        continue;
      }
      const end = r.delimitedEnd();
      while (r.pos < end) {
        const inner = r.tag();
        if (field === INITIALIZER && inner === TENSOR_NAME) r.string();
        else r.skip(inner, SKIP_DEPTH);
      }
      if (r.pos !== end) throw new Error('a record runs past its length');
      if (field === NODE) nodes++;
      else initializers++;
    }
  }
  return { nodes, initializers };
}

/** Read and walk, then write back: seconds for each half, as bench-io's Timings count load and save. */
export async function floorRoundTrip(input: string, output: string): Promise<{ load: number; save: number }> {
  const t0 = performance.now();
  const bytes = await readWholeFile(input, (await fs.promises.stat(input)).size);
  const { nodes, initializers } = walkModel(bytes);
  if (nodes + initializers === 0) throw new Error(`${input} has no graph records to walk`);
  const t1 = performance.now();
  const temp = tempPathFor(output);
  const fd = fs.openSync(temp, 'wx');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, output);
  return { load: (t1 - t0) / 1000, save: (performance.now() - t1) / 1000 };
}
