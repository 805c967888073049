/**
 * Evaluation throughput on the image-folder path, and where the time goes (run by `npm run bench:eval`):
 *
 *   node out/electron/scripts/bench-eval.js [--images N] [--width W --height H] [--resnet-images N]
 *                                           [--threads N] [--keep DIR] [--json]
 *
 * Makes a folder of N JPEGs (default 256, 500x375 like a typical ImageNet photo, 10 class folders) and measures:
 * 1. decode + preprocess only: the image source alone (sharp decode, resize to 224x224, normalize, NCHW
 *    float32), with its default read-ahead, and one image at a time (the single-image latency);
 * 2. inference only: the model on one fixed tensor, for a small CNN and for a ResNet-18-sized network
 *    (ResNet-18's convolution shapes and 1.8 GMACs, without the residual adds and batch norms, which cost
 *    little; random weights);
 * 3. end to end: `evaluateModel` on the folder, split into the time the loop waited for data (decoding that
 *    the read-ahead did not hide) and the time in inference.
 * Decoding must not be the bottleneck: for the ResNet-sized model, decode throughput should be well above
 * inference throughput and the end-to-end wait for data a small share of the total.
 * Figures depend on the machine and on what else runs on it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, TensorProto_DataType, type NodeProto, type TensorProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ImagePreprocessing } from '../../shared/dataset-spec.js';
import { defaultDecodeConcurrency, imageFolderSource } from '../engine/datasets/image-folder-source.js';
import { evaluateModel } from '../engine/evaluate/evaluate-model.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { createSession } from '../engine/runtime/create-session.js';
import type { ResolvedInput } from '../engine/runtime/input-specs.js';

const FLOAT = TensorProto_DataType.FLOAT;
const SIZE = 224;

/** Deterministic weights uniform in [-scale, scale) (xorshift32). */
function weights(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

interface ConvSpec {
  out: number;
  kernel: number;
  stride: number;
}

/** `input` [batch, 3, 224, 224] -> (Conv -> Relu)* [-> MaxPool after the first] -> GAP -> Gemm -> `logits`. */
function convNet(name: string, convs: ConvSpec[], classes: number, maxPoolAfterFirst: boolean): Uint8Array {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let prev = 'input';
  let channels = 3;
  convs.forEach((c, i) => {
    const fanIn = channels * c.kernel * c.kernel;
    inits.push(makeFloatTensor(`conv${i}.w`, [c.out, channels, c.kernel, c.kernel], weights(c.out * fanIn, i + 1, Math.sqrt(6 / fanIn))));
    inits.push(makeFloatTensor(`conv${i}.b`, [c.out], weights(c.out, 1000 + i, 0.01)));
    const pad = Math.floor(c.kernel / 2);
    nodes.push(
      makeNode('Conv', [prev, `conv${i}.w`, `conv${i}.b`], [`conv${i}`], {
        attributes: { kernel_shape: { ints: [c.kernel, c.kernel] }, strides: { ints: [c.stride, c.stride] }, pads: { ints: [pad, pad, pad, pad] } },
      }),
      makeNode('Relu', [`conv${i}`], [`relu${i}`]),
    );
    prev = `relu${i}`;
    if (i === 0 && maxPoolAfterFirst) {
      nodes.push(makeNode('MaxPool', [prev], ['pool'], { attributes: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } } }));
      prev = 'pool';
    }
    channels = c.out;
  });
  inits.push(makeFloatTensor('fc.w', [classes, channels], weights(classes * channels, 77, Math.sqrt(6 / channels))));
  inits.push(makeFloatTensor('fc.b', [classes], weights(classes, 78, 0.01)));
  nodes.push(
    makeNode('GlobalAveragePool', [prev], ['gap']),
    makeNode('Flatten', ['gap'], ['flat']),
    makeNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], { attributes: { transB: { int: 1 } } }),
  );
  const graph = create(GraphProtoSchema, {
    name,
    node: nodes,
    initializer: inits,
    input: [makeValueInfo('input', FLOAT, ['batch', 3, SIZE, SIZE])],
    output: [makeValueInfo('logits', FLOAT, ['batch', classes])],
  });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { irVersion: 8n, producerName: 'onnx-studio bench-eval', opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })], graph }),
  );
}

/** ResNet-18's convolutions (3x3 stages of 64/128/256/512 channels after a 7x7/2 stem and a max pool). */
function resnet18Shaped(): Uint8Array {
  const convs: ConvSpec[] = [{ out: 64, kernel: 7, stride: 2 }];
  for (const [width, first] of [[64, 1], [128, 2], [256, 2], [512, 2]] as const) {
    for (let i = 0; i < 4; i++) convs.push({ out: width, kernel: 3, stride: i === 0 ? first : 1 });
  }
  return convNet('resnet18-shaped', convs, 1000, true);
}

function smallCnn(): Uint8Array {
  return convNet('small-cnn', [{ out: 16, kernel: 3, stride: 4 }, { out: 32, kernel: 3, stride: 2 }, { out: 64, kernel: 3, stride: 2 }], 10, false);
}

async function makeImages(dir: string, count: number, width: number, height: number): Promise<void> {
  // Smooth random content with some noise: roughly the entropy (and JPEG size) of a photo.
  for (let i = 0; i < count; i++) {
    const cls = path.join(dir, `class${i % 10}`);
    fs.mkdirSync(cls, { recursive: true });
    const noise = Buffer.from(weights(width * height * 3, i + 1, 1).map((v) => 128 + 127 * v));
    await sharp(noise, { raw: { width, height, channels: 3 } }).blur(3).jpeg({ quality: 90 }).toFile(path.join(cls, `${String(i).padStart(6, '0')}.jpg`));
  }
}

const imageInput: ResolvedInput = { name: 'input', elemType: FLOAT, ortType: 'float32', declared: ['batch', 3, SIZE, SIZE], dims: [1, 3, SIZE, SIZE] };
const preprocessing: ImagePreprocessing = { resize: 'shorter-side-crop', cropFraction: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

async function decodeOnly(dir: string, concurrency: number): Promise<{ images: number; seconds: number; perSecond: number; peakRssBytes: number }> {
  const source = await imageFolderSource(dir, imageInput, { path: dir, preprocessing }, { concurrency });
  const start = performance.now();
  let n = 0;
  let peakRssBytes = 0;
  for await (const _ of source.samples()) {
    n++;
    if (n % 16 === 0) peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  }
  const seconds = (performance.now() - start) / 1000;
  return { images: n, seconds, perSecond: n / seconds, peakRssBytes };
}

async function inferenceOnly(model: string, runs: number, threads: number): Promise<{ runs: number; perSecond: number; meanMs: number }> {
  const session = await createSession(model, { intraOpThreads: threads });
  const feed = { input: new ort.Tensor('float32', weights(3 * SIZE * SIZE, 9, 1), [1, 3, SIZE, SIZE]) };
  for (let i = 0; i < 3; i++) await session.run(feed);
  const start = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feed);
  const ms = performance.now() - start;
  await session.release();
  return { runs, perSecond: (runs * 1000) / ms, meanMs: ms / runs };
}

async function endToEnd(model: string, dir: string, limit: number, threads: number) {
  const r = await evaluateModel({ model, data: { kind: 'images', path: dir, preprocessing, limit }, session: { intraOpThreads: threads } });
  const busy = r.timing.dataMs + r.timing.inferenceMs;
  return {
    samples: r.samples,
    samplesPerSecond: r.samplesPerSecond,
    dataMs: r.timing.dataMs,
    inferenceMs: r.timing.inferenceMs,
    dataShare: r.timing.dataMs / busy,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '256' },
      'resnet-images': { type: 'string', default: '48' },
      width: { type: 'string', default: '500' },
      height: { type: 'string', default: '375' },
      threads: { type: 'string', default: '0' },
      keep: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const images = Number(values.images);
  const resnetImages = Number(values['resnet-images']);
  const threads = Number(values.threads);
  const work = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-bench-eval-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const dir = path.join(work, 'images');
    if (!fs.existsSync(dir)) {
      log(`making ${images} ${values.width}x${values.height} JPEGs in ${dir} ...`);
      await makeImages(dir, images, Number(values.width), Number(values.height));
    }
    const small = path.join(work, 'small-cnn.onnx');
    const resnet = path.join(work, 'resnet18-shaped.onnx');
    fs.writeFileSync(small, smallCnn());
    fs.writeFileSync(resnet, resnet18Shaped());

    log('decode + preprocess only ...');
    await decodeOnly(dir, defaultDecodeConcurrency()); // warm the file cache and sharp
    const decode = await decodeOnly(dir, defaultDecodeConcurrency());
    const decodeSerial = await decodeOnly(dir, 1);
    log('inference only ...');
    const smallInference = await inferenceOnly(small, 200, threads);
    const resnetInference = await inferenceOnly(resnet, 20, threads);
    log('end to end ...');
    const smallE2e = await endToEnd(small, dir, images, threads);
    const resnetE2e = await endToEnd(resnet, dir, Math.min(images, resnetImages), threads);

    const result = {
      machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? '', uvThreadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4), sharpConcurrency: sharp.concurrency() },
      images: { count: images, width: Number(values.width), height: Number(values.height), to: `${SIZE}x${SIZE} shorter-side-crop 0.875, ImageNet mean/std, float32 NCHW` },
      decode: {
        readAhead: defaultDecodeConcurrency(),
        imagesPerSecond: decode.perSecond,
        serialImagesPerSecond: decodeSerial.perSecond,
        serialMsPerImage: 1000 / decodeSerial.perSecond,
        peakRssBytes: decode.peakRssBytes,
      },
      smallCnn: { inferencePerSecond: smallInference.perSecond, inferenceMeanMs: smallInference.meanMs, endToEnd: smallE2e },
      resnet18Shaped: { inferencePerSecond: resnetInference.perSecond, inferenceMeanMs: resnetInference.meanMs, endToEnd: resnetE2e },
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const f = (v: number, d = 1) => v.toFixed(d);
    const lines = [
      `machine: ${result.machine.cpus} CPUs (${result.machine.model}), libuv pool ${result.machine.uvThreadpool}, read-ahead ${result.decode.readAhead}`,
      `images: ${images} JPEGs ${values.width}x${values.height} -> ${result.images.to}`,
      '',
      `decode + preprocess     ${f(decode.perSecond)} images/s with read-ahead; ${f(decodeSerial.perSecond)} images/s one at a time (${f(result.decode.serialMsPerImage, 2)} ms each); peak RSS ${f(decode.peakRssBytes / 2 ** 20, 0)} MiB`,
      `small CNN   inference   ${f(smallInference.perSecond)} samples/s (${f(smallInference.meanMs, 2)} ms)`,
      `            end to end  ${f(smallE2e.samplesPerSecond)} samples/s; waiting for data ${f(smallE2e.dataMs, 0)} ms, inference ${f(smallE2e.inferenceMs, 0)} ms (data ${f(smallE2e.dataShare * 100)}%)`,
      `ResNet-18-sized  inference   ${f(resnetInference.perSecond)} samples/s (${f(resnetInference.meanMs, 2)} ms)`,
      `                 end to end  ${f(resnetE2e.samplesPerSecond)} samples/s; waiting for data ${f(resnetE2e.dataMs, 0)} ms, inference ${f(resnetE2e.inferenceMs, 0)} ms (data ${f(resnetE2e.dataShare * 100)}%)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
