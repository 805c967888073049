/**
 * A child process's end of its supervisor (process-supervisor.ts): the channel to the owner, for the engine
 * process and the task processes alike. Under Node the channel is the `child_process.fork` IPC channel; under
 * Electron it is `process.parentPort`, which a utility process provides. Nothing here imports Electron.
 */
import type { EngineToHostMessage } from './engine-protocol.js';

/** The child's end of the channel to its owner. */
export interface OwnerChannel {
  send(message: EngineToHostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** The part of Electron's `process.parentPort` (a utility process's MessagePortMain) used here. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function ownerChannel(): OwnerChannel | undefined {
  const parentPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) return undefined;
  // The owner going away (its end of the channel closes) ends this process: it must never outlive its owner.
  process.on('disconnect', () => process.exit(0));
  // Under Node the owner ends this process with SIGKILL (engine-transport.ts), so a SIGTERM or SIGHUP comes from
  // outside, to the whole group, as Ctrl+C's SIGINT does (`timeout`, a closed terminal): the owner cancels the jobs
  // (then kills), and a job stopped by its cancel removes its temporary files, which dying here at once left.
  // (Electron's utility processes are ended with SIGTERM: there it stays.)
  process.on('SIGTERM', () => undefined);
  process.on('SIGHUP', () => undefined);
  return {
    // A send after the owner disconnected fails; the 'disconnect' handler is about to exit anyway.
    send: (message) => void send(message, undefined, {}, () => undefined),
    onMessage: (listener) => process.on('message', listener),
  };
}

/**
 * Connects to the owner, or exits with a message naming `owner` (the file that starts this process) when
 * the process was started some other way.
 */
export function connectToOwner(owner: string): OwnerChannel {
  // Ctrl+C in a terminal signals the whole process group, this process included. Stopping jobs is the
  // owner's decision (it asks, then kills after a grace period), so the child does not die on its own first.
  process.on('SIGINT', () => undefined);
  const channel = ownerChannel();
  if (!channel) {
    process.stderr.write(`This onnx-studio process must be started by its owner (${owner}).\n`);
    process.exit(2);
  }
  return channel;
}
