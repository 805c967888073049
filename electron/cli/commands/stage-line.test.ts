import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadingStage } from '../../engine/bench/loading-stage.js';
import { StageLine } from './stage-line.js';

/** A terminal of `columns` that keeps what is written to it. */
function terminal(columns = 80) {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('the CLI’s line for a phase without a fraction', () => {
  afterEach(() => vi.useRealTimers());

  it('shows the loading stage in place with its seconds, cut to the terminal, and clears it before the bar', async () => {
    vi.useFakeTimers();
    const tty = terminal(60);
    const line = new StageLine(tty.stream);
    const model = { path: '/m/model.onnx', fileBytes: 1024 ** 2, externalDataBytes: 1024 ** 3 };
    line.show(loadingStage(model));
    await vi.advanceTimersByTimeAsync(1000);
    line.clear();
    line.clear();
    await vi.advanceTimersByTimeAsync(3000);
    expect(tty.text()).toBe(
      '\r\x1b[Kloading model.onnx (1.00 GiB with its data) into onnxruntim' +
        '\r\x1b[Kloading model.onnx (1.00 GiB with its data) into onnxruntim' +
        '\r\x1b[K',
    );
    // Wide enough, the seconds show.
    const wide = terminal(120);
    const other = new StageLine(wide.stream);
    other.show(loadingStage(model));
    await vi.advanceTimersByTimeAsync(2000);
    other.clear();
    expect(wide.text()).toContain('into onnxruntime · 2 s');
  });

  it('writes nothing where stderr is not a terminal (logs stay clean)', () => {
    const out = terminal();
    const line = new StageLine(Object.assign(out.stream, { isTTY: false }));
    line.show('loading model.onnx (2.00 KiB) into onnxruntime · 0 s');
    line.clear();
    expect(out.text()).toBe('');
  });
});
