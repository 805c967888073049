import { Fragment } from 'react';
import { RATIO_BASE_SEPARATOR } from '../../../shared/latency-format.js';

/**
 * A label that wraps only between its words: a narrow column broke "int8-dynamic" after its hyphen, which reads
 * as two names. Each word stays whole; the spaces between them, outside the words, still wrap.
 */
export function Words({ text }: { text: string }) {
  return (
    <>
      {text.split(' ').map((word, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <span className="word">{word}</span>
        </Fragment>
      ))}
    </>
  );
}

/**
 * A latency ratio that may wrap only before what it is against: "×1.02" / "of the original's 0.364 ms", each part
 * whole (a cell squeezed by a narrow window split "0.364" from its "ms"). The text is unchanged.
 */
export function Phrases({ text }: { text: string }) {
  // Split where shared/latency-format.ts joined the two parts.
  const at = text.indexOf(RATIO_BASE_SEPARATOR);
  if (at < 0) return <span className="word">{text}</span>;
  return (
    <>
      <span className="word">{text.slice(0, at)}</span> <span className="word">{text.slice(at + 1)}</span>
    </>
  );
}
