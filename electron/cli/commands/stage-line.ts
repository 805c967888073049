/**
 * A one-line status on stderr for a phase that has no fraction to draw a bar with: onnxruntime creating a
 * session, which on a 1 GB model takes 40 s or more. A loading stage ticks its seconds here
 * (`loading model.onnx (1.07 GiB with its data) into onnxruntime · 23 s`, bench/loading-stage.ts), where the
 * event loop is free while the engine host loads. As the progress bar: only on a terminal, rewritten in place,
 * and cleared before the bar draws.
 */
import { isLoadingStage, StageTicker } from '../../engine/bench/loading-stage.js';

export { isLoadingStage };

export class StageLine {
  private shown = false;
  private readonly ticker = new StageTicker((text) => this.draw(text));

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly enabled = Boolean(stream.isTTY),
  ) {}

  /** Shows `stage` in place of the line; a loading stage with its seconds, again every second. */
  show(stage: string): void {
    if (this.enabled) this.ticker.set(stage);
  }

  /** Stops the ticking and removes the line, if one is shown. */
  clear(): void {
    this.ticker.stop();
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  private draw(text: string): void {
    // 0 columns (a pty with no size set) is unknown, as undefined is.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    this.stream.write(`\r\x1b[K${text.slice(0, width)}`);
    this.shown = true;
  }
}
