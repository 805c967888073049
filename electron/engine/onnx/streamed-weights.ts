import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import type { ModelProto, TensorProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { removeQuietly, tempPathFor, writeFailure } from './atomic-files.js';
import { externalRef, isExternal, type ExternalDataBase, type ExternalRef } from './external-data.js';
import { forEachTensor } from './walk-tensors.js';

/*
 * Transforming a model whose weights live in external data without holding them all in memory.
 *
 * Every external tensor of the loaded model is turned into a *streamed* tensor: it looks like an ordinary
 * raw_data tensor to the methods (no external-data fields), but `rawData` is a getter that reads its bytes
 * from the data file when asked, and keeps only the last two read (methods read a weight several times in a
 * row). A method that walks its weights one by one therefore has one or two of them in memory. (No WeakRef
 * caches: a WeakRef keeps its target alive until the current job ends, which for a synchronous loop over every
 * weight means all of them.)
 *
 * What the methods write comes back as new tensors in memory (int8 copies, float16 copies, pruned bytes).
 * Those are *spilled*: their bytes are appended to a scratch file beside the output and the tensor becomes a
 * streamed tensor reading from there. Spilling happens after every spillLimits.everyReadBytes of weights read and
 * whenever the tensors created since the last spill exceed spillLimits.pendingBytes, never on the tensor just
 * created (its creator may not be done with it). At save time `sources()` tells saveModel where each streamed
 * tensor's bytes are, and it copies them into the output's data file in order, a chunk at a time.
 *
 * A tensor's bytes are never written through its `rawData`: assigning `rawData` turns a streamed tensor back
 * into an ordinary one (and a candidate for spilling), exactly as the methods expect.
 *
 * A spill writes up to spillLimits' bytes at once, synchronously, which held the event loop (and so a cancel)
 * for up to a second on a loaded machine. A method that awaits between its weights (fp16) therefore spills in
 * steps: it calls spillInSteps() first, then spillWhenDue(step) before each new weight, which writes one tensor
 * at a time and awaits `step` (its progress step: a turn of the event loop and a cancellation check) after each.
 */

/**
 * When to spill. `everyReadBytes`: weights read between two spills, which bounds the memory new tensors can
 * take to about that much; `pendingBytes`: bytes of tensors created since the last spill that trigger one (for
 * methods that plan every weight before adding any to the graph); `minBytes`: smaller tensors stay in memory,
 * spilling them would cost more than they weigh. Mutable so tests can make every tensor spill.
 */
export const spillLimits = { everyReadBytes: 128 << 20, pendingBytes: 128 << 20, minBytes: 64 << 10 };

const RECENT_READS = 2;

const active = new AsyncLocalStorage<StreamedWeights>();

/** Called by the tensor factories: a tensor created while a streamed transform runs may be spilled later. */
export function trackNewTensor(tensor: TensorProto): void {
  active.getStore()?.track(tensor);
}

const streamedGetters = new WeakMap<TensorProto, () => Uint8Array>();

/**
 * Stops tracking `tensor`, a new tensor whose data its creator copied elsewhere (replaceConstant copies a tensor's
 * data into the constant it replaces): spilling it would write bytes nothing reads.
 */
export function untrackNewTensor(tensor: TensorProto): void {
  active.getStore()?.untrack(tensor);
}

/** The running transform spills only when spillWhenDue is called (see the top of this file). */
export function spillInSteps(): void {
  active.getStore()?.deferSpills();
}

/**
 * When the running transform is due to spill (see spillLimits), spills a tensor at a time, awaiting `step`
 * after each; `step` may throw (a cancellation) to stop. Call it where every tensor created so far is in place.
 */
export async function spillWhenDue(step: () => Promise<void>): Promise<void> {
  await active.getStore()?.spillWhenDue(step);
}

/** Whether `tensor`'s bytes are read on demand (so caching them would defeat the purpose). */
export function isStreamedTensor(tensor: TensorProto): boolean {
  const getter = streamedGetters.get(tensor);
  return getter !== undefined && Object.getOwnPropertyDescriptor(tensor, 'rawData')?.get === getter;
}

export class StreamedWeights {
  readonly #refs = new Map<TensorProto, ExternalRef>();
  /**
   * The last RECENT_READS tensors read, held strongly: methods read the same weight several times in a row,
   * with its bias in between (int8-dynamic checks a weight, then the Add it folds, then quantizes the weight).
   */
  #recent: { tensor: TensorProto; bytes: Uint8Array }[] = [];
  readonly #fds = new Map<string, number>();
  /**
   * Tensors created since the last spill. Held strongly: a WeakRef keeps its target alive until the current
   * job ends, and the methods' loops are synchronous, so weak references would keep every one of them.
   */
  readonly #pending = new Map<TensorProto, number>();
  #pendingBytes = 0;
  #readSinceSpill = 0;
  /** Spills wait for spillWhenDue (spillInSteps). */
  #deferred = false;
  /** Undefined for a reader only (no output): nothing is spilled. */
  readonly #scratchPath: string | undefined;
  /** The output the scratch file serves, named in errors (the scratch file itself means nothing to a user). */
  readonly #output: string;
  #scratchFd: number | undefined;
  #scratchBytes = 0;
  readonly #model: ModelProto;
  /** Bytes of weights read from disk, and of tensors spilled (for tests and benchmarks). */
  readBytes = 0;
  spilledBytes = 0;

  /**
   * Makes every external tensor of `model` (resolved against `modelDir`: the LoadedModel, see resolveExternalLocation)
   * a streamed one. New tensors are
   * spilled to a scratch file beside `output`, removed by close(); without an output (a command that only reads
   * weights: diff) nothing is spilled.
   */
  constructor(model: ModelProto, modelDir: string | ExternalDataBase, output?: string) {
    this.#model = model;
    this.#output = output ?? '';
    this.#scratchPath = output === undefined ? undefined : tempPathFor(`${output}.weights`);
    const sizes = new Map<string, number>();
    const external: TensorProto[] = [];
    forEachTensor(model, (t) => {
      if (isExternal(t)) external.push(t);
    });
    for (const tensor of external) {
      const ref = externalRef(modelDir, tensor, sizes);
      tensor.externalData = [];
      delete (tensor as Partial<TensorProto>).dataLocation;
      this.#stream(tensor, ref);
    }
  }

  /** Runs `fn` so that tensors the factories create during it are tracked for spilling. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return active.run(this, fn);
  }

  /** Where each still-streamed tensor's bytes are, for saveModel's `externalSources`. */
  sources(): Map<TensorProto, ExternalRef> {
    const out = new Map<TensorProto, ExternalRef>();
    for (const [tensor, ref] of this.#refs) if (isStreamedTensor(tensor)) out.set(tensor, ref);
    return out;
  }

  /** Closes the files and removes the scratch file. Call once the output is saved (or on failure). */
  close(): void {
    for (const fd of this.#fds.values()) fs.closeSync(fd);
    this.#fds.clear();
    if (this.#scratchFd !== undefined) fs.closeSync(this.#scratchFd);
    this.#scratchFd = undefined;
    if (this.#scratchPath !== undefined) removeQuietly(this.#scratchPath);
    this.#refs.clear();
    this.#recent = [];
  }

  track(tensor: TensorProto): void {
    if (this.#scratchPath === undefined) return;
    const bytes = tensor.rawData.byteLength;
    if (bytes < spillLimits.minBytes) return;
    // Spill what came before this tensor, not this one: its creator still holds it.
    if (this.#pendingBytes >= spillLimits.pendingBytes && !this.#deferred) this.spill();
    this.#pendingBytes += bytes - (this.#pending.get(tensor) ?? 0);
    this.#pending.set(tensor, bytes);
  }

  untrack(tensor: TensorProto): void {
    this.#pendingBytes -= this.#pending.get(tensor) ?? 0;
    this.#pending.delete(tensor);
  }

  deferSpills(): void {
    this.#deferred = true;
  }

  /** Moves the bytes of large in-memory tensors (tracked ones and any in the model) to the scratch file. */
  spill(): void {
    for (const tensor of this.#spillCandidates()) this.#spillOne(tensor);
  }

  async spillWhenDue(step: () => Promise<void>): Promise<void> {
    if (this.#pendingBytes < spillLimits.pendingBytes && this.#readSinceSpill < spillLimits.everyReadBytes)
      return;
    for (const tensor of this.#spillCandidates()) {
      if (this.#spillOne(tensor)) await step();
    }
  }

  /** What a spill writes: the tensors created since the last one and those of the model, if large and in memory. */
  #spillCandidates(): Set<TensorProto> {
    if (this.#scratchPath === undefined) return new Set();
    const candidates = new Set(this.#pending.keys());
    forEachTensor(this.#model, (t) => candidates.add(t));
    this.#pending.clear();
    this.#pendingBytes = 0;
    this.#readSinceSpill = 0;
    return candidates;
  }

  /** Spills one tensor if it is large and in memory; whether it did. */
  #spillOne(tensor: TensorProto): boolean {
    if (this.#scratchPath === undefined || isStreamedTensor(tensor)) return false;
    const descriptor = Object.getOwnPropertyDescriptor(tensor, 'rawData');
    const bytes = descriptor?.value as Uint8Array | undefined;
    if (!bytes || bytes.byteLength < spillLimits.minBytes) return false;
    this.#stream(tensor, this.#appendToScratch(bytes, this.#scratchPath));
    this.spilledBytes += bytes.byteLength;
    return true;
  }

  #appendToScratch(bytes: Uint8Array, scratchPath: string): ExternalRef {
    const offset = this.#scratchBytes;
    try {
      this.#scratchFd ??= fs.openSync(scratchPath, 'wx');
      for (let done = 0; done < bytes.byteLength;) {
        done += fs.writeSync(this.#scratchFd, bytes, done, bytes.byteLength - done, offset + done);
      }
    } catch (error) {
      // A full disk or a read-only folder is the destination's problem, said as saveModel says it.
      throw writeFailure(error, this.#output);
    }
    this.#scratchBytes += bytes.byteLength;
    return { file: scratchPath, location: '(scratch)', offset, length: bytes.byteLength };
  }

  #stream(tensor: TensorProto, ref: ExternalRef): void {
    this.#refs.set(tensor, ref);
    const get = (): Uint8Array => this.#read(tensor);
    streamedGetters.set(tensor, get);
    Object.defineProperty(tensor, 'rawData', {
      configurable: true,
      enumerable: true,
      get,
      set: (value: Uint8Array) => {
        Object.defineProperty(tensor, 'rawData', {
          configurable: true,
          enumerable: true,
          writable: true,
          value,
        });
        this.#refs.delete(tensor);
        this.#recent = this.#recent.filter((r) => r.tensor !== tensor);
        this.track(tensor);
      },
    });
  }

  #read(tensor: TensorProto): Uint8Array {
    const recent = this.#recent.find((r) => r.tensor === tensor);
    if (recent) return recent.bytes;
    const ref = this.#refs.get(tensor);
    if (!ref)
      throw new StudioError('INTERNAL', `The data of tensor '${tensor.name}' is no longer available.`);
    let fd = this.#fds.get(ref.file);
    if (fd === undefined) {
      fd = fs.openSync(ref.file, 'r');
      this.#fds.set(ref.file, fd);
    }
    // A buffer of its own (not the shared pool) so typed-array views of it are aligned.
    const bytes = new Uint8Array(ref.length);
    for (let done = 0; done < ref.length;) {
      const n = fs.readSync(fd, bytes, done, ref.length - done, ref.offset + done);
      if (n === 0) throw new StudioError('IO', `External data file '${ref.location}' ended early.`);
      done += n;
    }
    this.#recent = [{ tensor, bytes }, ...this.#recent.slice(0, RECENT_READS - 1)];
    this.readBytes += ref.length;
    this.#readSinceSpill += ref.length;
    if (this.#readSinceSpill >= spillLimits.everyReadBytes && !this.#deferred) this.spill();
    return bytes;
  }
}
