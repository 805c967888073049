/**
 * A float64 sum with Neumaier's compensation: adding a million values of mixed magnitude loses no more than
 * a couple of ulps, where a plain running sum can drift visibly in the metrics' last printed digits.
 */
export class RunningSum {
  private sum = 0;
  private compensation = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}
