/**
 * A slow disk for tests that signal a CLI process while it writes its output (electron/cli/cancel-signals.test.ts),
 * loaded with `--import` into that process only; the product never loads it. The writers read the `node:fs`
 * functions off the module at each call, so these wrappers are what they get (as in engine/testing/fs-faults.ts).
 *
 * - ONNX_STUDIO_TEST_WRITE_MS_PER_MIB: fs.writeSync blocks this long per MiB it writes, the event loop too, as a
 *   slow disk does: the temp file is there long enough to signal the process while it is written.
 * - ONNX_STUDIO_TEST_COPY_MS: fs.promises.copyFile waits this long after copying (the temp file is there, whole,
 *   not yet renamed into place), without blocking the event loop.
 */
import fs from 'node:fs';

const writeMsPerMiB = Number(process.env.ONNX_STUDIO_TEST_WRITE_MS_PER_MIB ?? 0);
const copyMs = Number(process.env.ONNX_STUDIO_TEST_COPY_MS ?? 0);

if (writeMsPerMiB > 0) {
  const real = fs.writeSync as (...args: unknown[]) => number;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  fs.writeSync = ((...args: unknown[]) => {
    const written = real(...args);
    Atomics.wait(sleeper, 0, 0, (written / 2 ** 20) * writeMsPerMiB);
    return written;
  }) as typeof fs.writeSync;
}

if (copyMs > 0) {
  const real = fs.promises.copyFile;
  fs.promises.copyFile = (async (...args: Parameters<typeof real>) => {
    await real(...args);
    await new Promise((resolve) => setTimeout(resolve, copyMs));
  }) as typeof real;
}
