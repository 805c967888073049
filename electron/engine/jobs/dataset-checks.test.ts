import { describe, expect, it } from 'vitest';
import type { DatasetCheckReport, DatasetCheckRequest } from '../../../shared/ipc-contract.js';
import { StudioError } from '../errors.js';
import { DatasetChecks } from './experiment.js';
import type { ExecutorDeps } from './job-executors.js';

/** A check that runs until it is aborted, then ends a turn later (as a task process winds down). */
function slowCheck(_deps: ExecutorDeps, _request: DatasetCheckRequest, signal?: AbortSignal) {
  return new Promise<DatasetCheckReport>((_resolve, reject) => {
    signal?.addEventListener('abort', () =>
      setTimeout(() => reject(new StudioError('CANCELLED', 'The data check was cancelled.')), 10),
    );
  });
}

describe('DatasetChecks', () => {
  it('keeps a new check under a reused id cancellable while the cancelled one winds down', async () => {
    const checks = new DatasetChecks({} as ExecutorDeps, slowCheck);
    const request = {
      modelPath: '/m.onnx',
      role: 'evaluation',
      data: { spec: { kind: 'synthetic' } },
      checkId: 'a',
    } as DatasetCheckRequest;
    const first = checks.check(request).catch((e: unknown) => e);
    expect(checks.cancel('a')).toBe(true);
    const second = checks.check(request).catch((e: unknown) => e);
    // The first check ends after the second took its id: the second must stay registered.
    expect(await first).toMatchObject({ code: 'CANCELLED' });
    expect(checks.cancel('a')).toBe(true);
    expect(await second).toMatchObject({ code: 'CANCELLED' });
    expect(checks.cancel('a')).toBe(false);
  });
});
