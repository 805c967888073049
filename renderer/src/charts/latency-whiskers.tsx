/** The latency card's whiskers, apart from latency-chart.tsx, which lays out the card around them. */
/**
 * The whiskers of a latency bar, to p90 (thick) and p99 (thin), each with a cap at its value. One that
 * reaches past the axis (the axis fits the bars, not an 8 ms p99) stops at the axis's end with an arrowhead
 * instead of a cap, so it never reads as ending there; its value is in the tooltip and the table.
 */
export function Whiskers(props: {
  x?: number | string;
  y?: number | string;
  width?: number | string;
  height?: number | string;
  value?: unknown;
  axisEnd: number;
  stroke: string;
}) {
  const w = props.value as { p50: number; p90: number; p99: number } | undefined;
  const [x, y, width, height] = [props.x, props.y, props.width, props.height].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  if (!w || !(w.p50 > 0)) return null;
  const px = (ms: number) => x + (width * Math.min(ms, props.axisEnd)) / w.p50;
  const cy = y + height / 2;
  const end = (ms: number, half: number) =>
    ms > props.axisEnd ? (
      <path
        className="whisker-clipped"
        d={`M ${px(ms) - 7} ${cy - half} L ${px(ms)} ${cy} L ${px(ms) - 7} ${cy + half}`}
        fill="none"
        stroke={props.stroke}
        strokeWidth={1.5}
      />
    ) : (
      <line x1={px(ms)} x2={px(ms)} y1={cy - half} y2={cy + half} stroke={props.stroke} strokeWidth={1.5} />
    );
  return (
    <g className="latency-whiskers">
      <line x1={x + width} x2={px(w.p99)} y1={cy} y2={cy} stroke={props.stroke} strokeWidth={1} />
      <line x1={x + width} x2={px(w.p90)} y1={cy} y2={cy} stroke={props.stroke} strokeWidth={2.5} />
      {w.p99 > w.p90 && end(w.p99, 4)}
      {end(w.p90, 7)}
    </g>
  );
}
