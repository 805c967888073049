import os from 'node:os';
import type { ModelProto } from 'onnx-buf';
import { decodeModel } from './decode-model.js';
import { FastModelDecoding, endDecoding } from './fast-decode.js';

const littleEndian = os.endianness() === 'LE';

/**
 * Decoding a model while its file is read (load-model.ts): the file arrives in chunks, and the main
 * thread decodes the fields of one chunk while the thread pool reads the next. On a model of many small
 * messages, reading is then hidden behind decoding (docs/benchmarks.md, "many small initializers").
 *
 * The result is always what decodeModel gives for the whole bytes: fields are read in the same order by
 * the same code (FastModelDecoding), and anything that goes wrong on the way, whatever the cause, is left
 * to decodeModel on the whole bytes at the end, which accepts or refuses the file as it always does.
 */
export class ProgressiveDecode {
  private decoding: FastModelDecoding | undefined;

  /** `bytes`: the buffer the whole file is being read into. */
  constructor(private readonly bytes: Uint8Array) {
    this.decoding = littleEndian ? new FastModelDecoding(bytes) : undefined;
  }

  /** Decodes what lies wholly within the first `available` bytes. Never throws. */
  advance(available: number): void {
    if (!this.decoding) return;
    try {
      this.decoding.advance(available);
    } catch {
      this.giveUp();
    }
  }

  /** The model, once `length` bytes were read (fewer than the buffer when the file shrank). */
  finish(length: number): ModelProto {
    const decoding = this.decoding;
    if (!decoding || length !== this.bytes.length) {
      this.giveUp();
      return decodeModel(this.bytes.subarray(0, length));
    }
    try {
      return decoding.finish();
    } catch {
      return decodeModel(this.bytes);
    } finally {
      this.giveUp();
    }
  }

  /** Stops decoding (the file could not be read), letting go of what the decoder keeps between messages. */
  abandon(): void {
    this.giveUp();
  }

  private giveUp(): void {
    this.decoding = undefined;
    endDecoding();
  }
}
