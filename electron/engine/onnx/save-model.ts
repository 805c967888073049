import fs from 'node:fs';
import path from 'node:path';
import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  TensorProto_DataLocation,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import { dataFileOf } from '../../../shared/data-file-name.js';
import { StudioError } from '../errors.js';
import { dataFileOfReplacedModel, refuseFolderOutput, sameFile } from './output-guard.js';
import {
  externalReadError,
  externalRef,
  isExternal,
  readExternalBytes,
  type ExternalDataBase,
  type ExternalRef,
} from './external-data.js';
import { StreamingProtoWriter, type ByteSink } from './proto-stream-writer.js';
import {
  commitTempFiles,
  outputExists,
  pollTurn,
  removeQuietly,
  tempPathFor,
  writeFailure,
} from './atomic-files.js';
import { forEachTensor } from './walk-tensors.js';

export interface SaveModelOptions {
  /**
   * Move the data of every tensor of at least `thresholdBytes` into one external data file beside the
   * output (named `fileName`, default `<output name>.data`). Without this option, external data of the
   * source model is folded back into the .onnx file.
   */
  externalData?: { thresholdBytes: number; fileName?: string };
  /**
   * Where the model's existing external-data locations resolve: the source LoadedModel itself (an
   * ExternalDataBase, which also knows the folder its file links into), or its folder alone.
   */
  sourceDir?: string | ExternalDataBase;
  /**
   * Raw-data tensors whose bytes are not in memory but at these places (streamed weights, see
   * streamed-weights.ts). They are saved exactly as if their bytes were in `rawData`, copied a chunk at a time.
   */
  externalSources?: ReadonlyMap<TensorProto, ExternalRef>;
  /** Replace an existing output. Without it an existing output is an error and nothing is written. */
  force?: boolean;
  signal?: AbortSignal;
  /** Called as bytes are written; `total` counts the .onnx and external data files together. */
  onProgress?: (written: number, total: number) => void;
  /** The largest .onnx file allowed (default and maximum: protobuf's 2 GiB). Lowered only by tests. */
  protoLimitBytes?: number;
}

export interface SaveModelResult {
  output: string;
  outputBytes: number;
  /** Bytes of the external data file, 0 when none was written. */
  externalDataBytes: number;
  externalDataPath?: string;
  /**
   * The data file the replaced model kept its weights in (`OUT.data`), which the new one, keeping them inline,
   * does not use. Left in place (another model may use it); commands say so (`unusedDataNote`).
   */
  unusedDataFile?: string;
  /**
   * With `externalData`, where no tensor reached its threshold and nothing moved out: the bytes of the largest
   * tensor that could have (held as raw bytes, the only kind that moves), for commands to say so.
   */
  largestTensorBytes?: number;
}

/** What commands say about SaveModelResult.unusedDataFile. */
export function unusedDataNote(file: string): string {
  return (
    `${file} held the weights of the model this replaced; the new model keeps its weights inline and does not use ` +
    `it. It was left in place: delete it if no other model uses it.`
  );
}

/** Largest serialized protobuf message: a model above this must keep its weights in external data. */
export const MAX_PROTO_BYTES = 2 ** 31 - 1;
/** Tensors of at least this size start on a 64 KiB boundary in the data file, so runtimes can memory-map them. */
const ALIGN_THRESHOLD = 1 << 20;
const LARGE_ALIGNMENT = 64 * 1024;
const SMALL_ALIGNMENT = 16;
/**
 * The most bytes one synchronous write (or read of source data) handles: between two of them the save may give
 * the event loop a turn (every TURN_MS), so that a cancellation lands while a large model is written. Written in
 * one call, a 48 MB model never saw a Ctrl+C that came while it was being written.
 */
const WRITE_SLICE = 1 << 20;
/** How long a save writes between turns of the event loop (ms): about how long a cancellation takes to land. */
const TURN_MS = 10;

interface PlannedExternal {
  tensor: TensorProto;
  offset: number;
  length: number;
  /** Inline bytes to move out, or where the source model already keeps them. */
  source: Uint8Array | ExternalRef;
}

function entries(pairs: Record<string, string>) {
  return Object.entries(pairs).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
}

/**
 * A shallow copy of a tensor with some fields dropped and others set. `create()` would hand back the
 * message itself if given one, so the copy starts from a plain object of the fields that are set (own
 * properties, which keeps proto2 presence) and keeps unknown fields.
 */
function copyTensor(
  tensor: TensorProto,
  omit: (keyof TensorProto)[],
  set: Partial<TensorProto>,
): TensorProto {
  const init: Record<string, unknown> = {};
  for (const key of Object.keys(tensor)) {
    if (key !== '$typeName' && key !== '$unknown' && !omit.includes(key as keyof TensorProto)) {
      init[key] = (tensor as unknown as Record<string, unknown>)[key];
    }
  }
  const copy = create(TensorProtoSchema, { ...init, ...set } as MessageInitShape<typeof TensorProtoSchema>);
  if (tensor.$unknown) copy.$unknown = tensor.$unknown;
  return copy;
}

/** A copy of `tensor` that points at `location` instead of holding data. */
function asExternal(tensor: TensorProto, location: string, offset: number, length: number): TensorProto {
  return copyTensor(tensor, ['rawData', 'externalData'], {
    dataLocation: TensorProto_DataLocation.EXTERNAL,
    externalData: entries({ location, offset: String(offset), length: String(length) }),
  });
}

/** A copy of an external tensor with its bytes inline. */
function asInline(tensor: TensorProto, bytes: Uint8Array): TensorProto {
  return copyTensor(tensor, ['externalData', 'dataLocation'], { rawData: bytes as Uint8Array<ArrayBuffer> });
}

/** Decides, before anything is written, which tensors change form and what bytes each needs. */
async function planTensors(model: ModelProto, options: SaveModelOptions, dataFileName: string) {
  const replacements = new Map<TensorProto, TensorProto>();
  const external: PlannedExternal[] = [];
  const sizes = new Map<string, number>();
  const pending: { tensor: TensorProto; ref: ExternalRef }[] = [];
  let offset = 0;
  let largest = 0;
  forEachTensor(model, (tensor) => {
    const streamed = options.externalSources?.get(tensor);
    const ref =
      streamed ?? (isExternal(tensor) ? externalRef(requireSourceDir(options), tensor, sizes) : undefined);
    const length = ref ? ref.length : tensor.rawData.byteLength;
    largest = Math.max(largest, length);
    // Like onnx's own saver, only tensors held as raw bytes move out; typed-field tensors are small in practice.
    // A tensor external in the source is held to the threshold too: below it, it is read back inline (a user
    // test's --size-threshold 100000000 moved every tensor of an external-data input, and said nothing).
    const moveOut = options.externalData && length > 0 && length >= options.externalData.thresholdBytes;
    if (moveOut) {
      const alignment = length >= ALIGN_THRESHOLD ? LARGE_ALIGNMENT : SMALL_ALIGNMENT;
      offset = Math.ceil(offset / alignment) * alignment;
      external.push({ tensor, offset, length, source: ref ?? tensor.rawData });
      replacements.set(tensor, asExternal(tensor, dataFileName, offset, length));
      offset += length;
    } else if (ref) {
      pending.push({ tensor, ref });
    }
  });
  // Folding external data back in needs the bytes in memory: the result is one protobuf (< 2 GiB) anyway.
  for (const { tensor, ref } of pending) {
    replacements.set(tensor, asInline(tensor, await readExternalBytes(ref)));
  }
  return { replacements, external, dataBytes: offset, largest };
}

function requireSourceDir(options: SaveModelOptions): string | ExternalDataBase {
  if (!options.sourceDir) {
    throw new StudioError(
      'INTERNAL',
      'The model has external data but saveModel was not told the source folder.',
    );
  }
  return options.sourceDir;
}

/** Writes to an open file descriptor, reporting progress and honouring cancellation between chunks. */
function fileSink(
  fd: number,
  progress: () => void,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): ByteSink {
  return {
    consumesChunks: true, // written out before write() returns
    write(chunk) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Saving was cancelled.');
      let done = 0;
      while (done < chunk.byteLength) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done);
      onBytes(chunk.byteLength);
      progress();
    },
  };
}

/**
 * Gives the event loop a turn that polls for I/O when `everyMs` have passed since the last one, so that an abort
 * from outside (the CLI's signal handlers, a job's cancel message) lands while a large file is written; then
 * checks it.
 */
function cancellationTurns(signal: AbortSignal | undefined, everyMs = TURN_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (!signal) return;
    if (performance.now() - last >= everyMs) {
      await pollTurn();
      last = performance.now();
    }
    if (signal.aborted) throw new StudioError('CANCELLED', 'Saving was cancelled.');
  };
}

/** Hands `chunk` to the sink a WRITE_SLICE at a time, taking a cancellation turn before each slice. */
async function writeSliced(sink: ByteSink, chunk: Uint8Array, turn: () => Promise<void>): Promise<void> {
  for (let at = 0; at < chunk.byteLength; at += WRITE_SLICE) {
    await turn();
    sink.write(chunk.subarray(at, Math.min(chunk.byteLength, at + WRITE_SLICE)));
  }
}

/** fsync, in the thread pool: the event loop (a signal handler, a second Ctrl+C) runs meanwhile. */
function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
}

async function writeDataFile(
  planned: PlannedExternal[],
  sink: ByteSink,
  signal: AbortSignal | undefined,
): Promise<void> {
  const turn = cancellationTurns(signal);
  let position = 0;
  const padding = new Uint8Array(LARGE_ALIGNMENT);
  const readFds = new Map<string, number>();
  try {
    for (const item of planned) {
      await turn();
      if (item.offset > position) sink.write(padding.subarray(0, item.offset - position));
      if (item.source instanceof Uint8Array) {
        await writeSliced(sink, item.source, turn);
      } else {
        const ref = item.source;
        let fd = readFds.get(ref.file);
        if (fd === undefined) {
          try {
            fd = fs.openSync(ref.file, 'r');
          } catch (error) {
            throw externalReadError(ref, error);
          }
          readFds.set(ref.file, fd);
        }
        const buffer = Buffer.allocUnsafe(Math.min(WRITE_SLICE, ref.length));
        for (let done = 0; done < ref.length;) {
          await turn();
          let n: number;
          try {
            n = fs.readSync(fd, buffer, 0, Math.min(buffer.byteLength, ref.length - done), ref.offset + done);
          } catch (error) {
            throw externalReadError(ref, error);
          }
          if (n === 0) throw new StudioError('IO', `External data file '${ref.location}' ended early.`);
          sink.write(buffer.subarray(0, n));
          done += n;
        }
      }
      position = item.offset + item.length;
    }
  } finally {
    for (const fd of readFds.values()) fs.closeSync(fd);
  }
}

/** Whether the model being saved still reads any of its tensors from `file` (then it must stay). */
function readsFrom(model: ModelProto, options: SaveModelOptions, file: string): boolean {
  for (const ref of options.externalSources?.values() ?? []) if (sameFile(ref.file, file)) return true;
  let reads = false;
  forEachTensor(model, (tensor) => {
    if (!reads && isExternal(tensor) && options.sourceDir)
      reads = sameFile(externalRef(options.sourceDir, tensor).file, file);
  });
  return reads;
}

/**
 * Saves a model atomically: the .onnx file (and its external data file, if any) are written to temporary
 * files in the destination folder and renamed into place only when complete, so a crash, a cancellation
 * or a full disk never leaves a half-written model behind. The model object is not modified.
 */
export async function saveModel(
  model: ModelProto,
  output: string,
  options: SaveModelOptions = {},
): Promise<SaveModelResult> {
  const target = path.resolve(output);
  const dataFileName = options.externalData?.fileName ?? path.basename(dataFileOf(target));
  const dataPath = path.join(path.dirname(target), dataFileName);
  if (options.externalData && (dataFileName.includes('/') || dataFileName.includes('\\'))) {
    throw new StudioError(
      'BAD_REQUEST',
      `The external data file name '${dataFileName}' must be a plain file name.`,
    );
  }
  for (const existing of options.externalData ? [target, dataPath] : [target]) {
    refuseFolderOutput(existing);
    if (!options.force && fs.existsSync(existing)) throw outputExists(existing);
  }
  if (!fs.existsSync(path.dirname(target))) {
    throw new StudioError('IO', `The output folder ${path.dirname(target)} does not exist.`);
  }

  // Replacing a model that kept its weights in OUT.data: said, unless this save rewrites or still reads it.
  const staleData = options.force ? dataFileOfReplacedModel(target) : undefined;
  const { replacements, external, dataBytes, largest } = await planTensors(model, options, dataFileName);
  // Without replacements the writer skips a WeakMap lookup per message (~15% of its time on small tensors).
  const substitute =
    replacements.size === 0
      ? undefined
      : (desc: DescMessage, message: Message) =>
          desc.typeName === TensorProtoSchema.typeName
            ? (replacements.get(message as TensorProto) ?? message)
            : message;

  const temps: string[] = [];
  // The file a write failure is about, as the user knows it: the data file while it is written, else the model.
  let writing = target;
  let written = 0;
  let total = dataBytes;
  const progress = () => options.onProgress?.(written, total);
  const onBytes = (n: number) => (written += n);
  try {
    // Measure before writing anything: a model over 2 GiB must fail before a byte is on disk.
    const modelTemp = tempPathFor(target);
    temps.push(modelTemp);
    const fd = fs.openSync(modelTemp, 'wx');
    let modelBytes = 0;
    try {
      // The writer is synchronous: it hands its bytes to a list (its staging area copied, large bytes fields by
      // reference, so nothing big is copied), which is then written a slice at a time with turns between.
      const chunks: Uint8Array[] = [];
      const writer = new StreamingProtoWriter({ write: (chunk) => chunks.push(chunk) }, substitute);
      modelBytes = writer.measure(ModelProtoSchema, model);
      if (modelBytes > Math.min(options.protoLimitBytes ?? MAX_PROTO_BYTES, MAX_PROTO_BYTES)) {
        throw new StudioError(
          'BAD_REQUEST',
          `The model would be ${(modelBytes / 2 ** 30).toFixed(2)} GiB, over the 2 GiB limit of one ONNX file. ` +
            `Save it with external data (--external-data).`,
        );
      }
      total += modelBytes;
      writer.write(ModelProtoSchema, model);
      const sink = fileSink(fd, progress, onBytes, options.signal);
      const turn = cancellationTurns(options.signal);
      for (const chunk of chunks) await writeSliced(sink, chunk, turn);
      chunks.length = 0;
      await fsyncAsync(fd);
    } finally {
      fs.closeSync(fd);
    }
    let dataTemp: string | undefined;
    if (options.externalData && external.length > 0) {
      dataTemp = tempPathFor(dataPath);
      temps.push(dataTemp);
      writing = dataPath;
      const dfd = fs.openSync(dataTemp, 'wx');
      try {
        await writeDataFile(external, fileSink(dfd, progress, onBytes, options.signal), options.signal);
        await fsyncAsync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
      writing = target;
    }
    // The last moment a cancellation can still leave nothing behind (an abort during the fsyncs lands here). A
    // cancellation that arrived before this turn wins; nothing is awaited between it and the renames, so the
    // files are either all in place or none is. Without --force, neither may have appeared since the check above
    // (another job writing the same output): then this one is refused, its files taken back.
    await cancellationTurns(options.signal, 0)();
    // Data first, model last: a reader never sees a model whose data file is not there yet.
    commitTempFiles(
      dataTemp
        ? [
            [dataTemp, dataPath],
            [modelTemp, target],
          ]
        : [[modelTemp, target]],
      { replace: options.force === true },
    );
    const replaced = dataTemp !== undefined && dataPath === staleData;
    const unused = staleData && !replaced && !readsFrom(model, options, staleData) ? staleData : undefined;
    return {
      output: target,
      outputBytes: modelBytes,
      externalDataBytes: dataTemp ? dataBytes : 0,
      ...(dataTemp ? { externalDataPath: dataPath } : {}),
      ...(unused ? { unusedDataFile: unused } : {}),
      ...(options.externalData && external.length === 0 ? { largestTensorBytes: largest } : {}),
    };
  } catch (error) {
    for (const t of temps) removeQuietly(t);
    throw writeFailure(error, writing);
  }
}
