/**
 * The test hook of the engine and task processes: requests that make the process misbehave for real (abort,
 * exit, hang in a call that never returns), so tests prove crash recovery and kill-on-cancel against a real
 * process. Refused unless the process was started with `ONNX_STUDIO_ENGINE_TEST_HOOKS=1`, which only tests set.
 */
import { ENGINE_TEST_HOOKS_ENV, TEST_CRASH_MODES, type TestCrashMode } from './engine-protocol.js';
import { StudioError } from '../errors.js';

/** Whether this process was started with the test hooks on. */
export function testHooksEnabled(): boolean {
  return process.env[ENGINE_TEST_HOOKS_ENV] === '1';
}

/** Refuses a test-only request in a process started without the test hooks. */
export function requireTestHooks(enabled: boolean, request: string): void {
  if (!enabled) {
    throw new StudioError('BAD_REQUEST', `${request} is a test-only request, disabled unless ${ENGINE_TEST_HOOKS_ENV}=1.`);
  }
}

function misbehave(mode: TestCrashMode): never {
  switch (mode) {
    case 'abort':
      process.abort();
      break;
    case 'exit':
      process.exit(3);
      break;
    case 'hang':
      // Blocks the event loop forever without burning CPU, like a native call that never returns.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      break;
  }
  throw new Error('unreachable');
}

/** Reports phase `running` like a real job, then misbehaves as `mode` asks. */
export async function testCrash(
  mode: unknown,
  enabled: boolean,
  phase: (phase: 'running', model: string) => void,
): Promise<never> {
  requireTestHooks(enabled, 'testCrash');
  if (!TEST_CRASH_MODES.includes(mode as TestCrashMode)) throw new StudioError('BAD_REQUEST', `Unknown testCrash mode '${String(mode)}'.`);
  phase('running', `testCrash ${String(mode)}`);
  // Let the phase message leave before misbehaving, as a real job's would have.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return misbehave(mode as TestCrashMode);
}
