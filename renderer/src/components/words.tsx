import { Fragment } from 'react';

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
