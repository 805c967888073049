/**
 * A recharts chart that draws only in its turn (chart-turns.ts). Until its first turn it renders with
 * `pending` (the card and its title, a blank body of the chart's height); afterwards it keeps drawing the
 * props of its last turn and asks for a new turn whenever what it draws (its `signature`) changes. Props
 * outside the signature (callbacks, control elements) are taken from the latest render at the turn.
 */
import {
  memo,
  startTransition,
  useEffect,
  useRef,
  useState,
  type ComponentType,
  type FunctionComponent,
} from 'react';
import { chartTurns, type TurnQueue } from './chart-turns.js';

export interface PendingProp {
  /** The chart has not had its first turn yet: draw the frame only. */
  pending?: boolean;
}

export function takingTurns<P extends object>(
  View: ComponentType<P & PendingProp>,
  signature: (props: P) => unknown,
  queue: TurnQueue = chartTurns,
): FunctionComponent<P> {
  // The drawn chart re-renders only when a turn hands it new props (shallow-equal otherwise).
  const Drawn = memo(View as ComponentType<P>);
  const name = View.displayName ?? View.name;
  function Turned(props: P) {
    const key = JSON.stringify(signature(props));
    const latest = useRef({ props, key });
    latest.current = { props, key };
    const [shown, setShown] = useState<{ props: P; key: string } | null>(null);
    const [owner] = useState(() => ({}));

    useEffect(() => {
      if (shown?.key === key) queue.cancel(owner);
      // A transition: React renders the chart in slices and yields between them (recharts' commit and its
      // animation-frame flush still run whole, which is what the turns are for).
      else
        queue.request(owner, () => {
          // Named in DevTools' performance timeline, to see which chart a long task belongs to.
          performance.mark(`chart turn: ${name}`);
          startTransition(() => setShown(latest.current));
        });
    }, [key, shown, owner]);
    useEffect(() => () => queue.cancel(owner), [owner]);

    if (!shown) return <View {...props} pending />;
    return <Drawn {...shown.props} />;
  }
  Turned.displayName = `TakingTurns(${name})`;
  return Turned;
}
