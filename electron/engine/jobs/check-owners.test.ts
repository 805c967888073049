/**
 * CheckOwners on a stand-in backend: which page owns which check while its request runs, and cancelling a
 * page's checks through the backend's `studio:dataset.cancelCheck`. The hosts' own tests (ipc.test.ts,
 * serve-server.test.ts) run it in front of a real backend.
 */
import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type IpcMethodChannel } from '../../../shared/ipc-contract.js';
import { CheckOwners, checkIdOf } from './check-owners.js';

/** A backend whose checks run until the test ends them (oldest under an id first); it records dispatches. */
function standInBackend() {
  const dispatched: { channel: string; payload: unknown }[] = [];
  const pending: { checkId: string; end: () => void }[] = [];
  return {
    dispatched,
    end: (checkId: string) => {
      const at = pending.findIndex((p) => p.checkId === checkId);
      if (at >= 0) pending.splice(at, 1)[0]!.end();
    },
    dispatch: (async (channel: IpcMethodChannel, payload: unknown) => {
      dispatched.push({ channel, payload });
      const checkId = checkIdOf(channel, payload);
      if (checkId !== undefined) await new Promise<void>((end) => pending.push({ checkId, end }));
      return { ok: true, value: {} };
    }) as never,
  };
}

describe('checkIdOf', () => {
  it('reads a non-empty checkId of dataset.check and pipeline.start only', () => {
    expect(checkIdOf(IPC_CHANNELS.datasetCheck, { checkId: 'c' })).toBe('c');
    expect(checkIdOf(IPC_CHANNELS.pipelineStart, { checkId: 'p' })).toBe('p');
    expect(checkIdOf(IPC_CHANNELS.datasetCheck, { checkId: '' })).toBeUndefined();
    expect(checkIdOf(IPC_CHANNELS.datasetCheck, { checkId: 3 })).toBeUndefined();
    expect(checkIdOf(IPC_CHANNELS.datasetCheck, null)).toBeUndefined();
    expect(checkIdOf(IPC_CHANNELS.datasetCheckCancel, { checkId: 'c' })).toBeUndefined();
  });
});

describe('CheckOwners', () => {
  it("owns a check until its request settles, and cancels only the owner's through the backend", async () => {
    const backend = standInBackend();
    const owners = new CheckOwners<string>(backend);
    const a1 = owners.dispatch('a', IPC_CHANNELS.datasetCheck, { checkId: 'a1' });
    void owners.dispatch('a', IPC_CHANNELS.pipelineStart, { checkId: 'a2' });
    void owners.dispatch('b', IPC_CHANNELS.datasetCheck, { checkId: 'b1' });
    // A second request under an id in flight does not take it over.
    void owners.dispatch('b', IPC_CHANNELS.datasetCheck, { checkId: 'a1' });
    expect(owners.ownerOf('a1')).toBe('a');
    expect(owners.ownedBy('a')).toEqual(['a1', 'a2']);

    backend.end('a1');
    await a1;
    expect(owners.ownedBy('a')).toEqual(['a2']);

    // A's page goes away: its data check is cancelled; its pipeline.start (a2) runs on, owned by nobody.
    void owners.dispatch('a', IPC_CHANNELS.datasetCheck, { checkId: 'a3' });
    backend.dispatched.length = 0;
    owners.cancelOwnedBy('a');
    expect(backend.dispatched).toEqual([
      { channel: IPC_CHANNELS.datasetCheckCancel, payload: { checkId: 'a3' } },
    ]);
    expect(owners.ownedBy('a')).toEqual([]);
    expect(owners.ownerOf('a2')).toBeUndefined();
    expect(owners.ownedBy('b')).toEqual(['b1']);
  });

  it('keeps a reused id owned when the cancelled request it replaced settles later', async () => {
    const backend = standInBackend();
    const owners = new CheckOwners<string>(backend);
    const first = owners.dispatch('a', IPC_CHANNELS.datasetCheck, { checkId: 'c' });
    owners.cancelOwnedBy('a');
    // The reloaded page asks again under the same id before the cancelled request has settled.
    void owners.dispatch('a', IPC_CHANNELS.datasetCheck, { checkId: 'c' });
    backend.end('c');
    await first;
    expect(owners.ownerOf('c')).toBe('a');
  });
});
