/**
 * What the page says while its connection to onnx-studio serve is not `connected` (ws-host.ts `ConnectionState`),
 * one sentence set per state, for App's banner and for a view of work serve was running (Auto-optimize's
 * headline). Declared once: the headline said "the search goes on there if serve is still running" for every
 * state, also where serve had said it stopped (which cancels its jobs) or had come back restarted.
 */
import type { ConnectionState } from './ws-host.js';

/** The work the words are about, as the sentences name it. */
export interface ServeWork {
  /** `its jobs`, `the search`. */
  name: string;
  plural: boolean;
  /** How it is run again once it ended with serve. */
  again: string;
}

/** Every job serve was running: App's banner. */
export const SERVE_JOBS: ServeWork = {
  name: 'its jobs',
  plural: true,
  again: 'its pipelines say interrupted and can be run again from Optimize',
};

/** One Auto-optimize search. */
export const SERVE_SEARCH: ServeWork = {
  name: 'the search',
  plural: false,
  again: 'start Auto-optimize to search again',
};

type Lost = Exclude<ConnectionState, 'connected'>;

const WORDS: Record<Lost, (w: ServeWork) => string> = {
  // A dropped connection or a killed serve look the same from here: its work may still run.
  reconnecting: (w) =>
    `Lost the connection to onnx-studio serve. Reconnecting… If serve is still running, ${w.name} ${w.plural ? 'go' : 'goes'} on there; if it stopped, ${w.plural ? 'they were' : 'it was'} cancelled. If serve was restarted, open the address it printed.`,
  // serve's Ctrl+C cancels its jobs (commands/serve.ts), and says so as it closes (ws-host.ts).
  stopped: (w) =>
    `onnx-studio serve was stopped, which cancelled ${w.name}. Start it again and open the address it prints; ${w.again}.`,
  // A restart is another process: the one that ran the work is gone.
  outdated: (w) =>
    `onnx-studio serve was restarted with another build of ONNX Studio, which ended ${w.name}. Reload the page to use it; ${w.again}.`,
  expired: (w) =>
    `onnx-studio serve was restarted, which ended ${w.name}, and this address (its token) no longer works. Open the new address serve printed when it restarted; ${w.again}.`,
  // The page closed its own connection: serve was not told to stop.
  closed: (w) =>
    `Disconnected from onnx-studio serve; if it is still running, ${w.name} ${w.plural ? 'go' : 'goes'} on there. Reload the page to connect again.`,
};

/** The words for `state` about `work`; undefined while connected. */
export function connectionWords(state: ConnectionState, work: ServeWork): string | undefined {
  return state === 'connected' ? undefined : WORDS[state](work);
}
