/**
 * A perplexity in words, one rule for the CLI, the HTML report and the app: `12.34`, `1.003`, `4127` (four
 * significant digits, whole numbers past 10,000), and `–` where there is none or it is not finite (NaN or Inf
 * logits, a float16 probability of 0: JSON keeps those as null).
 */
export function formatPerplexity(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return value >= 10_000 ? value.toFixed(0) : value.toPrecision(4);
}
