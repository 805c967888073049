/**
 * The task process: runs inspect, quantize, prune and evaluate for the job manager, one task at a time, in a
 * process of its own. Parsing a large model, quantizing its weights or running onnxruntime would block the
 * event loop of the process serving the UI for seconds (and a native crash would take it down); here they
 * only block this process. Started by `TaskPool` (task-pool.ts) with `child_process.fork` under Node or
 * `utilityProcess.fork` in Electron; never start it directly. Nothing here imports Electron: under Electron
 * the channel is `process.parentPort`.
 */
import { ENGINE_TEST_HOOKS_ENV, type EngineToHostMessage } from '../../../shared/engine-protocol.js';
import { toErrorInfo } from '../errors.js';
import { JobEmitter } from '../host/job-emitter.js';
import { runTask } from './task-handlers.js';
import { isHostToTaskMessage } from './task-protocol.js';

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

interface Channel {
  send(message: EngineToHostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

function parentChannel(): Channel | undefined {
  const parentPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) return undefined;
  // The owner going away ends this process: it must never outlive the app.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message) => {
      send(message, undefined, {}, () => undefined);
    },
    onMessage: (listener) => process.on('message', listener),
  };
}

// Ctrl+C reaches the whole process group; stopping tasks is the owner's decision (cancel, then kill).
process.on('SIGINT', () => undefined);

const channel = parentChannel();
if (!channel) {
  process.stderr.write(
    'The onnx-studio task process must be started by its pool (electron/engine/jobs/task-pool.ts).\n',
  );
  process.exit(2);
}
const testHooks = process.env[ENGINE_TEST_HOOKS_ENV] === '1';
const running = new Map<string, AbortController>();

channel.onMessage((message) => {
  if (!isHostToTaskMessage(message)) {
    process.stderr.write(
      `onnx-studio task process: ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}\n`,
    );
    return;
  }
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  const { id, task } = message;
  const emitter = new JobEmitter(id, (m) => channel.send(m));
  const controller = new AbortController();
  running.set(id, controller);
  void runTask(
    task,
    {
      signal: controller.signal,
      progress: (fraction, stage) => emitter.progress(fraction, stage),
      log: (level, text) => emitter.log(level, text),
      phase: (phase, model) => emitter.phase(phase, model),
    },
    { testHooks },
  )
    .then(
      (result) => emitter.result(result),
      (error: unknown) => {
        const info = toErrorInfo(error);
        if (info.code === 'CANCELLED' && controller.signal.aborted) emitter.cancelled();
        else emitter.failed(info);
      },
    )
    .finally(() => running.delete(id));
});
channel.send({ type: 'ready', pid: process.pid, testHooks });
