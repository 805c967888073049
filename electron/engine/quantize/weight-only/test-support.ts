import { clone, create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  OperatorSetIdProtoSchema,
  TensorProto_DataType as DT,
} from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { argmax } from '../../evaluate/classification-metrics.js';
import { cosineSimilarity } from '../../evaluate/fidelity-metrics.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../onnx/float16.js';
import {
  littleEndianBytes,
  makeFloatTensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../../onnx/graph-build.js';
import { tensorByteSize } from '../../onnx/tensor-codec.js';
import {
  type CommonQuantizeOptions,
  type QuantizeMethod,
  type QuantizeOutcome,
  type QuantizeProgress,
  commonQuantizeOptionsSchema,
} from '../quantize-method.js';

/*
 * Helpers for the weight-only methods' tests: run a method on an in-memory copy of a model, run models
 * in onnxruntime-node, compare outputs (cosine, top-1), and a few extra small models.
 */

export interface InMemoryResult extends QuantizeOutcome {
  model: ModelProto;
  notes: string[];
}

/** Runs a method on a copy of `model` (options validated by the method's schema, as quantizeModel does). */
export async function quantizeInMemory(
  method: QuantizeMethod,
  model: ModelProto,
  common: Partial<CommonQuantizeOptions> = {},
  options: Record<string, unknown> = {},
  extra: { signal?: AbortSignal; onProgress?: (p: QuantizeProgress) => void } = {},
): Promise<InMemoryResult> {
  const copy = clone(ModelProtoSchema, model);
  const notes: string[] = [];
  const outcome = await method.quantize({
    model: copy,
    options: method.optionSchema.parse(options),
    common: commonQuantizeOptionsSchema.parse(common),
    modelPath: 'in-memory.onnx',
    note: (m) => notes.push(m),
    ...extra,
  });
  return { ...outcome, model: copy, notes };
}

/**
 * Checks that a method stops with CANCELLED both when the signal is already aborted and when it aborts
 * midway (as soon as progress reports `abortAtDone` nodes done). Resolves with the error of each run.
 */
export async function cancellationErrors(
  method: QuantizeMethod,
  model: ModelProto,
  abortAtDone: number,
): Promise<unknown[]> {
  const before = new AbortController();
  before.abort();
  const midway = new AbortController();
  const runs = [
    quantizeInMemory(method, model, {}, {}, { signal: before.signal }),
    quantizeInMemory(
      method,
      model,
      {},
      {},
      {
        signal: midway.signal,
        onProgress: (p) => {
          if (p.done === abortAtDone) midway.abort();
        },
      },
    ),
  ];
  return Promise.all(
    runs.map((run) =>
      run.then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  );
}

export function modelBytes(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** Runs a model once; returns every output as float32 values (float16 outputs converted). */
export async function runModel(
  model: ModelProto,
  feeds: Record<string, ort.Tensor>,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(modelBytes(model), {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
    ...options,
  });
  try {
    const results = await session.run(feeds);
    const out: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] =
        t.type === 'float16'
          ? float16ArrayToFloat32(t.data as Uint16Array)
          : Float32Array.from(t.data as ArrayLike<number>);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Seeded standard-normal-ish values (sum of uniforms), for feeds. */
export function seededValues(count: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (next() + next() + next() - 1.5) * 2 * scale;
  return out;
}

export function floatFeed(
  name: string,
  dims: number[],
  seed: number,
  type: 'float32' | 'float16' = 'float32',
): Record<string, ort.Tensor> {
  const values = seededValues(
    dims.reduce((a, b) => a * b, 1),
    seed,
  );
  return {
    [name]:
      type === 'float16'
        ? new ort.Tensor('float16', float32ArrayToFloat16(values), dims)
        : new ort.Tensor('float32', values, dims),
  };
}

/** Fraction of rows (of `classes` values each) whose arg-max agrees. */
export function top1Agreement(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    const [from, to] = [r * classes, (r + 1) * classes];
    if (argmax(a.subarray(from, to)) === argmax(b.subarray(from, to))) same++;
  }
  return same / rows;
}

/**
 * Runs the original and the quantized model on the same feed (or `quantizedFeed`, e.g. float16 inputs) and
 * expects their first outputs to agree: cosine at least `minCosine`, and with `classes` (scores per row)
 * the top-1 class of at least `minTop1` of the rows. Returns the cosine.
 */
export async function expectAgreement(
  original: ModelProto,
  quantized: ModelProto,
  feed: Record<string, ort.Tensor>,
  limits: {
    minCosine: number;
    classes?: number;
    minTop1?: number;
    quantizedFeed?: Record<string, ort.Tensor>;
  },
): Promise<number> {
  const a = await runModel(original, feed);
  const b = await runModel(quantized, limits.quantizedFeed ?? feed);
  const name = Object.keys(a)[0]!;
  const c = cosineSimilarity(a[name]!, b[name]!);
  expect(c).toBeGreaterThanOrEqual(limits.minCosine);
  if (limits.classes)
    expect(top1Agreement(a[name]!, b[name]!, limits.classes)).toBeGreaterThanOrEqual(limits.minTop1 ?? 0.95);
  return c;
}

export function countOps(model: ModelProto, opType: string, domain?: string): number {
  return (model.graph?.node ?? []).filter(
    (n) => n.opType === opType && (domain === undefined || n.domain === domain),
  ).length;
}

export function nodeByName(model: ModelProto, name: string): NodeProto | undefined {
  return model.graph?.node.find((n) => n.name === name);
}

/** Total bytes of the initializers whose names pass `filter`. */
export function initializerBytes(model: ModelProto, filter: (name: string) => boolean = () => true): number {
  let total = 0;
  for (const t of model.graph?.initializer ?? []) if (filter(t.name)) total += tensorByteSize(t);
  return total;
}

function seededTensor(name: string, dims: number[], seed: number, scale: number) {
  return makeFloatTensor(
    name,
    dims,
    seededValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
  );
}

function wrap(
  nodes: NodeProto[],
  inputs: ReturnType<typeof makeValueInfo>[],
  outputs: ReturnType<typeof makeValueInfo>[],
  initializer: ReturnType<typeof makeFloatTensor>[],
  opset: number,
  name: string,
): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'weight-only-tests',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    graph: create(GraphProtoSchema, { name, node: nodes, input: inputs, output: outputs, initializer }),
  });
}

/**
 * One weight feeding two MatMuls: `input` [batch, 64] -> MatMul(shared.weight [64, 64]) -> Relu ->
 * MatMul(shared.weight) -> MatMul(head.weight [64, 16]) -> `logits` [batch, 16].
 */
export function buildSharedWeightMlp(width = 64, classes = 16, opset = 17): ModelProto {
  return wrap(
    [
      makeNode('MatMul', ['input', 'shared.weight'], ['h1'], { name: 'mm1' }),
      makeNode('Relu', ['h1'], ['r1'], { name: 'relu1' }),
      makeNode('MatMul', ['r1', 'shared.weight'], ['h2'], { name: 'mm2' }),
      makeNode('MatMul', ['h2', 'head.weight'], ['logits'], { name: 'head' }),
    ],
    [makeValueInfo('input', DT.FLOAT, ['batch', width])],
    [makeValueInfo('logits', DT.FLOAT, ['batch', classes])],
    [
      seededTensor('shared.weight', [width, width], 3, 1 / Math.sqrt(width)),
      seededTensor('head.weight', [width, classes], 4, 1 / Math.sqrt(width)),
    ],
    opset,
    'shared_weight_mlp',
  );
}

/**
 * A model computed in float16 end to end (weights stored and used as float16): `input` float16
 * [batch, 64] -> Gemm(fc1, transB) -> Relu -> MatMul(fc2 [128, 16]) -> Add(bias) -> `logits` float16.
 */
export function buildFloat16Mlp(opset = 17, inSize = 64, hidden = 128, classes = 16): ModelProto {
  const half = (name: string, dims: number[], seed: number, scale: number) =>
    makeRawTensor(
      name,
      DT.FLOAT16,
      dims,
      littleEndianBytes(
        float32ArrayToFloat16(
          seededValues(
            dims.reduce((a, b) => a * b, 1),
            seed,
            scale,
          ),
        ),
      ),
    );
  return wrap(
    [
      makeNode('Gemm', ['input', 'fc1.weight', 'fc1.bias'], ['h'], {
        name: 'fc1',
        attributes: { transB: { int: 1 } },
      }),
      makeNode('Relu', ['h'], ['r'], { name: 'relu' }),
      makeNode('MatMul', ['r', 'fc2.weight'], ['m'], { name: 'fc2' }),
      makeNode('Add', ['m', 'fc2.bias'], ['logits'], { name: 'fc2_add' }),
    ],
    [makeValueInfo('input', DT.FLOAT16, ['batch', inSize])],
    [makeValueInfo('logits', DT.FLOAT16, ['batch', classes])],
    [
      half('fc1.weight', [hidden, inSize], 5, 1 / Math.sqrt(inSize)),
      half('fc1.bias', [hidden], 6, 0.1),
      half('fc2.weight', [hidden, classes], 7, 1 / Math.sqrt(hidden)),
      half('fc2.bias', [classes], 8, 0.1),
    ],
    opset,
    'float16_mlp',
  );
}

/** Sets the default-domain opset of a model (for fixtures whose ops mean the same at that opset). */
export function withOpset(model: ModelProto, opset: number): ModelProto {
  const copy = clone(ModelProtoSchema, model);
  for (const o of copy.opsetImport) if (o.domain === '' || o.domain === 'ai.onnx') o.version = BigInt(opset);
  return copy;
}
