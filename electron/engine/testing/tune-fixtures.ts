/**
 * Fixtures for `tune` and the sensitivity analysis: models where plain int8-static breaks a tight budget in a
 * known place, so a test can check that the search finds the node to keep in float.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ModelProto, type NodeProto, type TensorProto, TensorProto_DataType } from 'onnx-buf';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes, randomFloats } from './model-fixtures.js';

const FLOAT = TensorProto_DataType.FLOAT;

/** The node whose input carries the outlier channel: the one int8-static should keep in float. */
export const OUTLIER_CONSUMER = 'layer2_matmul';

/**
 * An MLP (8 layers of width 64 by default) whose first hidden activation has one channel 300 times larger than the rest, as
 * some real activations do: layer 1 scales that channel up and layer 2 scales its weights down by as much, so
 * the float model is ordinary but a per-tensor activation scale spends its 256 steps on the outlier and
 * crushes the other 63 channels. Quantizing layer 2's input is the damage; every other layer is benign.
 */
export function buildOutlierMlp(
  options: { width?: number; layers?: number; seed?: number } = {},
): ModelProto {
  const width = options.width ?? 64;
  const seed = options.seed ?? 7;
  const outlier = 300;
  const layers = options.layers ?? 8;
  const initializers: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  let h = 'input';
  for (let i = 1; i <= layers; i++) {
    const w = randomFloats(width * width, seed + i, Math.sqrt(2 / width));
    // W is [in, out]: layer 1 scales its output channel 0; layer 2 scales its input row 0 back down.
    if (i === 1) for (let r = 0; r < width; r++) w[r * width] = w[r * width]! * outlier;
    if (i === 2) for (let c = 0; c < width; c++) w[c] = w[c]! / outlier;
    const b = randomFloats(width, seed + 100 + i, 0.1).map(Math.abs);
    initializers.push(
      makeFloatTensor(`layer${i}.weight`, [width, width], w),
      makeFloatTensor(`layer${i}.bias`, [width], b),
    );
    const out = i === layers ? 'output' : `layer${i}.relu`;
    nodes.push(makeNode('MatMul', [h, `layer${i}.weight`], [`layer${i}.mm`], { name: `layer${i}_matmul` }));
    nodes.push(
      makeNode('Add', [`layer${i}.mm`, `layer${i}.bias`], [i === layers ? out : `layer${i}.add`], {
        name: `layer${i}_add`,
      }),
    );
    if (i < layers) nodes.push(makeNode('Relu', [`layer${i}.add`], [out], { name: `layer${i}_relu` }));
    h = out;
  }
  return makeModel(
    makeGraph('outlier-mlp', {
      inputs: [makeValueInfo('input', FLOAT, ['batch', width])],
      outputs: [makeValueInfo('output', FLOAT, ['batch', width])],
      initializers,
      nodes,
    }),
  );
}

/** Writes the outlier MLP and two sample sets (calibration, evaluation) as .npy into `dir`. */
export function writeOutlierMlpCase(
  dir: string,
  options: { samples?: number } = {},
): { model: string; calib: string; data: string } {
  const width = 64;
  const samples = options.samples ?? 64;
  const model = path.join(dir, 'outlier-mlp.onnx');
  fs.writeFileSync(model, modelBytes(buildOutlierMlp({ width })));
  const write = (name: string, seed: number) => {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      encodeNpyArray(randomFloats(samples * width, seed, 1), 'float32', [samples, width]),
    );
    return file;
  };
  return { model, calib: write('calib.npy', 11), data: write('data.npy', 12) };
}

/**
 * The tune flags the sweep tests share: the case's data and calibration, a 0.99 cosine budget, and the size
 * objective so the choice does not depend on this machine's timing.
 */
export function outlierSweepFlags(files: { data: string; calib: string }): string[] {
  return ['--data', files.data, '--calib-data', files.calib, '--min-cosine', '0.99', '--objective', 'size'];
}
