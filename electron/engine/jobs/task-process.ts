/**
 * The task process: runs inspect, quantize, prune and evaluate for the job manager, one task at a time, in a
 * process of its own. Parsing a large model, quantizing its weights or running onnxruntime would block the
 * event loop of the process serving the UI for seconds (and a native crash would take it down); here they
 * only block this process. Started by `TaskPool` (task-pool.ts) with `child_process.fork` under Node or
 * `utilityProcess.fork` in Electron; never start it directly. Nothing here imports Electron: under Electron
 * the channel is `process.parentPort` (see owner-channel.ts).
 */
import '../host/young-generation.js';
import { toEngineErrorInfo } from '../errors.js';
import { JobEmitter } from '../host/job-emitter.js';
import { connectToOwner } from '../host/owner-channel.js';
import { testHooksEnabled } from '../host/test-hooks.js';
import { runTask } from './task-handlers.js';
import { isHostToTaskMessage } from './task-protocol.js';

const channel = connectToOwner('electron/engine/jobs/task-pool.ts');
const testHooks = testHooksEnabled();
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
      metric: (name, unit, values) => emitter.metric(name, unit, values),
      log: (level, text) => emitter.log(level, text),
      phase: (phase, model) => emitter.phase(phase, model),
    },
    { testHooks },
  )
    .then(
      (result) => emitter.result(result),
      (error: unknown) => {
        const info = toEngineErrorInfo(error);
        if (info.code === 'CANCELLED' && controller.signal.aborted) emitter.cancelled();
        else emitter.failed(info);
      },
    )
    .finally(() => running.delete(id));
});
channel.send({ type: 'ready', pid: process.pid, testHooks });
