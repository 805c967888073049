import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildSparseInitializerModel,
  makeModel,
  randomFloats,
} from '../testing/model-fixtures.js';
import { onnxFilesUnder } from '../testing/onnx-test-data.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { decodeModel } from './decode-model.js';
import { makeFloatTensor, makeNode } from './graph-build.js';
import { loadModel } from './load-model.js';
import { ProgressiveDecode } from './progressive-decode.js';
import { FastModelDecoding, decodeModelFast } from './fast-decode.js';
import { fieldEnd } from './wire-reader.js';

/*
 * Decoding while the file is read must give exactly what decodeModel gives for the whole bytes, wherever
 * the reads stop and whatever the unread part of the buffer holds meanwhile.
 */

/** A deterministic generator of 32-bit numbers. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

/** What decodeModel gives (or the message it throws). */
function wholeDecode(bytes: Uint8Array): ModelProto | string {
  try {
    return decodeModel(bytes);
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Decodes `bytes` as if read in chunks ending at `stops`, into a buffer whose unread part holds noise
 * (a read in progress may have written some of it), and gives the result or the message thrown.
 */
function progressiveDecode(bytes: Uint8Array, stops: number[], next: () => number): ModelProto | string {
  const buffer = Buffer.alloc(bytes.length);
  for (let i = 0; i < buffer.length; i++) buffer[i] = next() >>> 24;
  const decoding = new ProgressiveDecode(buffer);
  let filled = 0;
  for (const stop of [...stops, bytes.length]) {
    buffer.set(bytes.subarray(filled, stop), filled);
    filled = stop;
    decoding.advance(filled);
  }
  try {
    return decoding.finish(bytes.length);
  } catch (error) {
    return (error as Error).message;
  }
}

/** `count` sorted random stops within [1, length). */
function randomStops(length: number, count: number, next: () => number): number[] {
  if (length < 2) return [];
  const stops = Array.from({ length: count }, () => 1 + (next() % (length - 1)));
  return [...new Set(stops)].sort((a, b) => a - b);
}

/**
 * The specialised decoder fed in chunks, without the fallback that would hide its failures: on input it
 * decodes whole, it must decode the same in chunks, never reading the noise past the chunk's end.
 */
function expectFastPathHolds(bytes: Uint8Array, stops: number[], next: () => number, label: string): void {
  let whole: ModelProto;
  try {
    whole = decodeModelFast(Buffer.from(bytes));
  } catch {
    return; // left to protobuf-es whole anyway
  }
  const buffer = Buffer.alloc(bytes.length);
  for (let i = 0; i < buffer.length; i++) buffer[i] = next() >>> 24;
  const decoding = new FastModelDecoding(buffer);
  let filled = 0;
  for (const stop of stops) {
    buffer.set(bytes.subarray(filled, stop), filled);
    filled = stop;
    decoding.advance(filled);
  }
  buffer.set(bytes.subarray(filled), filled);
  const got = decoding.finish();
  if (!isDeepStrictEqual(got, whole)) {
    expect(got, label).toStrictEqual(whole);
    throw new Error(`${label}: chunked decoding differs (in prototypes or classes)`);
  }
}

function expectSame(bytes: Uint8Array, stops: number[], next: () => number, label: string): void {
  expectFastPathHolds(bytes, stops, next, label);
  // A Buffer, as the file is read into one: byte fields are views of it, of its class.
  const expected = wholeDecode(Buffer.from(bytes));
  const got = progressiveDecode(bytes, stops, next);
  if (!isDeepStrictEqual(got, expected)) {
    expect(got, label).toStrictEqual(expected);
    throw new Error(`${label}: progressive decoding differs (in prototypes or classes)`);
  }
}

/** A model of `count` Add nodes, each with its own initializer of `size` floats. */
function manySmall(count: number, size: number): ModelProto {
  const nodes = [];
  const initializer = [];
  for (let i = 0; i < count; i++) {
    initializer.push(makeFloatTensor(`b${i}`, [size], randomFloats(size, i + 1)));
    nodes.push(makeNode('Add', [i === 0 ? 'x' : `s${i - 1}`, `b${i}`], [`s${i}`], { name: `add${i}` }));
  }
  return makeModel(create(GraphProtoSchema, { node: nodes, initializer }));
}

describe('progressive decoding', () => {
  it("gives decodeModel's model for every model of ONNX's test data, wherever the reads stop", () => {
    const files = onnxFilesUnder();
    expect(files.length, `ONNX test data missing: apt-get install libonnx-testdata`).toBeGreaterThan(1000);
    const next = lcg(5);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      expectSame(bytes, randomStops(bytes.length, 6, next), next, file);
    }
  });

  it('gives the same model when reads stop at every byte of fixture models (subgraphs, sparse tensors)', () => {
    const next = lcg(9);
    for (const model of [buildIfModel(), buildConstantWeightModel(), buildSparseInitializerModel()]) {
      const bytes = toBinary(ModelProtoSchema, model);
      for (let stop = 1; stop < bytes.length; stop++) expectSame(bytes, [stop], next, `stop ${stop}`);
    }
    const cnn = toBinary(ModelProtoSchema, buildCnn());
    expectSame(cnn, randomStops(cnn.length, 40, next), next, 'cnn');
  });

  it('accepts or refuses corrupt input exactly as decodeModel does', () => {
    const good = Buffer.from(toBinary(ModelProtoSchema, buildIfModel()));
    const next = lcg(21);
    for (const cut of [1, 7, good.length >> 1, good.length - 1]) {
      const bytes = good.subarray(0, cut);
      expectSame(bytes, randomStops(bytes.length, 3, next), next, `cut at ${cut}`);
    }
    for (let i = 0; i < 300; i++) {
      const flipped = Buffer.from(good);
      const at = next() % flipped.length;
      flipped[at]! ^= 1 << (next() % 8);
      expectSame(flipped, randomStops(flipped.length, 4, next), next, `bit flip at ${at}`);
    }
  });

  it('decodes a file that shrank while it was read as the bytes there are', () => {
    const bytes = toBinary(ModelProtoSchema, buildCnn());
    const buffer = Buffer.alloc(bytes.length + 100, 0xff);
    buffer.set(bytes);
    const decoding = new ProgressiveDecode(buffer);
    decoding.advance(bytes.length);
    const expected = decodeModel(buffer.subarray(0, bytes.length));
    expect(isDeepStrictEqual(decoding.finish(bytes.length), expected)).toBe(true);
  });

  it('loads a model read in several chunks as decodeModel decodes it', async () => {
    const tmp = makeTempDir('progressive-');
    try {
      const file = path.join(tmp.dir, 'many.onnx');
      // 3,000 tensors of 1 KiB: about 3.2 MB, so the file arrives in three reads.
      fs.writeFileSync(file, toBinary(ModelProtoSchema, manySmall(3000, 256)));
      const loaded = await loadModel(file);
      expect(loaded.proto.graph!.initializer).toHaveLength(3000);
      expect(isDeepStrictEqual(loaded.proto, decodeModel(fs.readFileSync(file)))).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('fieldEnd', () => {
  const buf = Uint8Array.from([0x0a, 0x83, 0x01, ...new Array<number>(131).fill(0), 0x08, 0x96, 0x01]);

  it('finds where a length-delimited field ends once its tag and length are there', () => {
    expect(fieldEnd(buf, 0, 1)).toBe(-1); // the length has not arrived
    expect(fieldEnd(buf, 0, 2)).toBe(-1); // half of a two-byte length
    expect(fieldEnd(buf, 0, 3)).toBe(3 + 131);
  });

  it('finds where varint and fixed-width fields end', () => {
    expect(fieldEnd(buf, 134, 136)).toBe(-1);
    expect(fieldEnd(buf, 134, 137)).toBe(137);
    expect(fieldEnd(Uint8Array.from([0x0d, 1, 2]), 0, 3)).toBe(5); // fixed32
    expect(fieldEnd(Uint8Array.from([0x09]), 0, 1)).toBe(9); // fixed64
  });

  it('leaves groups and invalid wire types to the decoding of the whole input', () => {
    expect(fieldEnd(Uint8Array.from([0x0b, 0x0c]), 0, 2)).toBe(-1);
    expect(fieldEnd(Uint8Array.from([0x0f, 0]), 0, 2)).toBe(-1);
    // A length over 32 bits is not judged here either.
    expect(fieldEnd(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x1f]), 0, 6)).toBe(-1);
  });
});
