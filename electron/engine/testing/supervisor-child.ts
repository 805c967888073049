/**
 * A child process for the supervisor's own tests (process-supervisor.test.ts): it speaks the engine
 * protocol back like the engine and task processes, through the same owner channel, and misbehaves on
 * request: it never says ready, ignores a cancel in a call that never returns, or aborts mid-job.
 */
import { JobEmitter } from '../host/job-emitter.js';
import { connectToOwner } from '../host/owner-channel.js';

/** What a test asks of this child. */
export type SupervisorChildRequest =
  /** Streams one log event, then answers with `value` and this process's id. */
  | { do: 'echo'; value: string }
  /** Reports progress every 10 ms until cancelled, then ends `cancelled`. */
  | { do: 'until-cancelled' }
  /** Logs, then blocks forever without reading messages, like a native call that never returns. */
  | { do: 'hang' }
  /** Says it is loading `model`, prints a line, then aborts. */
  | { do: 'crash'; model: string };

export type SupervisorChildStart = { type: 'start'; id: string; request: SupervisorChildRequest };

const channel = connectToOwner('electron/engine/host/process-supervisor.test.ts');
const running = new Map<string, AbortController>();

function handle(id: string, request: SupervisorChildRequest): void {
  const emitter = new JobEmitter(id, (m) => channel.send(m));
  switch (request.do) {
    case 'echo':
      emitter.log('info', `echoing ${request.value}`);
      emitter.result({ value: request.value, pid: process.pid });
      return;
    case 'until-cancelled': {
      const controller = new AbortController();
      running.set(id, controller);
      emitter.phase('running', 'slow.onnx');
      const timer = setInterval(() => {
        if (!controller.signal.aborted) return emitter.progress(0.5, 'waiting');
        clearInterval(timer);
        running.delete(id);
        emitter.cancelled();
      }, 10);
      return;
    }
    case 'hang':
      emitter.phase('running', 'stuck.onnx');
      emitter.log('info', 'hanging');
      // Let the messages leave before blocking the event loop for good.
      setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 20);
      return;
    case 'crash':
      emitter.phase('loading model', request.model);
      process.stderr.write(`about to abort while loading ${request.model}\n`);
      setTimeout(() => process.abort(), 20);
      return;
  }
}

channel.onMessage((message) => {
  const m = message as SupervisorChildStart | { type: 'cancel'; id: string };
  if (m.type === 'cancel') running.get(m.id)?.abort();
  else handle(m.id, m.request);
});
process.stdout.write('supervisor child up\n');
// SUPERVISOR_CHILD_SILENT=1: connect and print, but never say ready (a start that hangs). Tests import only
// this module's types: importing it for real would connect the test worker itself to its owner.
if (process.env.SUPERVISOR_CHILD_SILENT !== '1') channel.send({ type: 'ready', pid: process.pid, testHooks: false });
