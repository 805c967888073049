import { StudioError } from '../engine/errors.js';

/**
 * Runs a command's work and gives a Ctrl+C one message whenever it lands. The stages a cancellation can stop
 * in each say it their own way ("Quantization was cancelled." while quantizing, "Cancelled." from the data
 * source during calibration, "Saving was cancelled." while writing), so one `quantize` read differently from
 * one second to the next. Other errors pass through as they are.
 */
export async function cancelledAs<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StudioError && error.code === 'CANCELLED')
      throw new StudioError('CANCELLED', message, { cause: error });
    throw error;
  }
}
