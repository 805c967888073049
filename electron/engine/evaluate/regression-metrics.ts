import { RunningSum } from './running-sum.js';

export interface RegressionMetrics {
  /** Values compared (samples times values per sample). */
  values: number;
  /** Mean absolute error. */
  mae: number;
  /** Mean squared error. */
  mse: number;
  /** Root of the mean squared error. */
  rmse: number;
}

/** MAE, MSE and RMSE over every predicted value, accumulated in float64 one sample at a time. */
export class RegressionAccumulator {
  private readonly abs = new RunningSum();
  private readonly squared = new RunningSum();
  private count = 0;

  /** One sample: its predictions and targets, the same length. */
  add(predicted: ArrayLike<number>, target: ArrayLike<number>): void {
    let abs = 0;
    let sq = 0;
    for (let i = 0; i < predicted.length; i++) {
      const d = predicted[i]! - target[i]!;
      abs += Math.abs(d);
      sq += d * d;
    }
    this.abs.add(abs);
    this.squared.add(sq);
    this.count += predicted.length;
  }

  result(): RegressionMetrics {
    const n = this.count;
    const mse = n === 0 ? 0 : this.squared.value / n;
    return { values: n, mae: n === 0 ? 0 : this.abs.value / n, mse, rmse: Math.sqrt(mse) };
  }
}
