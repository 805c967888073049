/** The banner's and Auto-optimize's words for a lost connection to serve, one set per state. */
import { describe, expect, it } from 'vitest';
import { connectionWords, SERVE_JOBS, SERVE_SEARCH } from './connection-words.js';
import type { ConnectionState } from './ws-host.js';

const LOST: ConnectionState[] = ['reconnecting', 'stopped', 'closed', 'outdated', 'expired'];

describe('the words for a lost connection to serve', () => {
  it('say nothing while connected, and something for every other state', () => {
    expect(connectionWords('connected', SERVE_JOBS)).toBeUndefined();
    for (const state of LOST) {
      expect(connectionWords(state, SERVE_JOBS), state).toMatch(/onnx-studio serve/);
      expect(connectionWords(state, SERVE_SEARCH), state).toMatch(/the search/);
    }
  });

  it('say the work may go on only where the page cannot tell that serve stopped or was restarted', () => {
    expect(connectionWords('reconnecting', SERVE_SEARCH)).toContain(
      'If serve is still running, the search goes on there',
    );
    expect(connectionWords('reconnecting', SERVE_JOBS)).toContain(
      'its jobs go on there; if it stopped, they were cancelled',
    );
    // serve said it stopped (Ctrl+C cancels its jobs), or came back restarted (another process).
    expect(connectionWords('stopped', SERVE_SEARCH)).toBe(
      'onnx-studio serve was stopped, which cancelled the search. Start it again and open the address it prints; start Auto-optimize to search again.',
    );
    for (const state of ['stopped', 'outdated', 'expired'] as const) {
      expect(connectionWords(state, SERVE_SEARCH), state).not.toMatch(/goes on/);
      expect(connectionWords(state, SERVE_JOBS), state).not.toMatch(/go on/);
    }
    expect(connectionWords('outdated', SERVE_JOBS)).toContain('restarted with another build');
    expect(connectionWords('expired', SERVE_JOBS)).toContain('this address (its token) no longer works');
  });
});
