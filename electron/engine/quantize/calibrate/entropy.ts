/**
 * The entropy (KL-divergence) calibrator's threshold search, as TensorRT's and MXNet's calibrators do it.
 *
 * Given a histogram of magnitudes over [0, L*w) (L bins of width w), every candidate threshold i*w for
 * i = quantizedBins .. L is scored:
 *   - P, the reference: the first i bins, with every count beyond them (the clipped outliers) added to
 *     bin i-1;
 *   - Q, the candidate: the first i bins (without the outliers) merged into `quantizedBins` groups (the
 *     quantization levels), each group's count spread evenly over the group's bins that are non-zero in
 *     P (zero bins stay zero);
 *   - score KL(P || Q) after normalizing both and smoothing zeros (a tiny epsilon moved onto zero bins
 *     so the divergence stays finite).
 * The threshold with the smallest divergence wins: it is the clipping point whose quantized distribution
 * loses the least information relative to the clipped float distribution.
 */
export function entropyThreshold(counts: ArrayLike<number>, binWidth: number, quantizedBins: number): number {
  // Ignore trailing empty bins: candidates beyond the last non-empty bin only add empty levels.
  let length = counts.length;
  while (length > 0 && (counts[length - 1] as number) === 0) length--;
  if (length === 0) return 0;
  if (length <= quantizedBins) return length * binWidth;

  let total = 0;
  for (let k = 0; k < length; k++) total += counts[k] as number;

  const p = new Float64Array(length);
  const q = new Float64Array(length);
  let bestI = length;
  let bestKl = Infinity;
  let tail = 0; // sum of counts[i..length)
  for (let k = quantizedBins; k < length; k++) tail += counts[k] as number;

  for (let i = quantizedBins; i <= length; i++) {
    if (i > quantizedBins) tail -= counts[i - 1] as number;
    for (let k = 0; k < i; k++) p[k] = counts[k] as number;
    p[i - 1]! += tail;

    // Merge the first i bins (without outliers) into quantizedBins groups.
    for (let j = 0; j < quantizedBins; j++) {
      const start = Math.floor((j * i) / quantizedBins);
      const stop = Math.floor(((j + 1) * i) / quantizedBins);
      let sum = 0;
      let nonZero = 0;
      for (let k = start; k < stop; k++) {
        sum += counts[k] as number;
        if ((p[k] as number) !== 0) nonZero++;
      }
      const share = nonZero > 0 ? sum / nonZero : 0;
      for (let k = start; k < stop; k++) q[k] = (p[k] as number) !== 0 ? share : 0;
    }
    const kl = smoothedKl(p, q, i, total);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return bestI * binWidth;
}

const EPSILON = 1e-4;

/**
 * KL(P || Q) over the first n entries of unnormalized distributions with sums `pTotal` (P) and computed
 * (Q). Zero entries get EPSILON of probability mass, taken evenly from the non-zero entries, as MXNet's
 * `_smooth_distribution` does; Q entries that are zero where P is not are also smoothed.
 */
function smoothedKl(p: Float64Array, q: Float64Array, n: number, pTotal: number): number {
  let qTotal = 0;
  let pZeros = 0;
  let qZeros = 0;
  for (let k = 0; k < n; k++) {
    qTotal += q[k] as number;
    if ((p[k] as number) === 0) pZeros++;
    if ((q[k] as number) === 0) qZeros++;
  }
  if (qTotal === 0) return Infinity;
  const pNonZero = n - pZeros;
  const qNonZero = n - qZeros;
  if (pNonZero === 0 || qNonZero === 0) return Infinity;
  const pTake = (EPSILON * pZeros) / pNonZero;
  const qTake = (EPSILON * qZeros) / qNonZero;
  let kl = 0;
  let pSum = 0;
  let qSum = 0;
  // First pass: smoothed sums (for normalization).
  for (let k = 0; k < n; k++) {
    const pk = (p[k] as number) / pTotal;
    const qk = (q[k] as number) / qTotal;
    pSum += pk === 0 ? EPSILON : pk - pTake;
    qSum += qk === 0 ? EPSILON : qk - qTake;
  }
  for (let k = 0; k < n; k++) {
    const pk0 = (p[k] as number) / pTotal;
    const qk0 = (q[k] as number) / qTotal;
    const pk = (pk0 === 0 ? EPSILON : pk0 - pTake) / pSum;
    const qk = (qk0 === 0 ? EPSILON : qk0 - qTake) / qSum;
    if (pk > 0 && qk > 0) kl += pk * Math.log(pk / qk);
  }
  return kl;
}
