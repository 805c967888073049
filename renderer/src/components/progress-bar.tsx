/**
 * The app's progress bar: the full width of what holds it, filled to the fraction done. Jobs and the browser
 * benchmark share it, so every bar looks alike (a native <progress> is a narrow, browser-styled box).
 */
export function ProgressBar({
  fraction,
  label,
  valueText,
}: {
  /** Done so far, 0 to 1 (clamped). */
  fraction: number;
  /** Names the bar for screen readers ("Progress of …"). */
  label: string;
  /** What a screen reader says of the value; the percentage when not given. */
  valueText?: string;
}) {
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      aria-valuetext={valueText ?? `${pct}%`}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
