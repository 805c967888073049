/**
 * The engine process: where onnxruntime runs, apart from the app and the CLI, so that a blocking native
 * call cannot freeze them and a native crash (a malformed model, out of memory) only ends this process. The
 * main side starts it with `child_process.fork` (Node: the CLI, `serve`, tests) or `utilityProcess.fork`
 * (Electron); both speak the protocol in `shared/engine-protocol.ts`. Nothing here imports Electron: under
 * Electron the channel is `process.parentPort`, which the utility process provides.
 *
 * Start it through `EngineClient` (engine-client.ts), never directly.
 */
import { ENGINE_TEST_HOOKS_ENV, type EngineToHostMessage } from '../../../shared/engine-protocol.js';
import { startEngine, type ParentChannel } from './engine-dispatcher.js';

/** The part of Electron's `process.parentPort` (a utility process's MessagePortMain) used here. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function parentChannel(): ParentChannel | undefined {
  const parentPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message: EngineToHostMessage) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) return undefined;
  // The main side going away (its end of the channel closes) ends the engine: it must never outlive its owner.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message: EngineToHostMessage) => {
      // A send after the main side disconnected fails; the 'disconnect' handler is about to exit anyway.
      send(message, undefined, {}, () => undefined);
    },
    onMessage: (listener) => process.on('message', listener),
  };
}

// Ctrl+C in a terminal signals the whole process group, this process included. Cancelling is the main
// side's job (it asks, then kills after a grace period), so the engine does not die on its own first.
process.on('SIGINT', () => undefined);

const channel = parentChannel();
if (!channel) {
  process.stderr.write('The onnx-studio engine process must be started by its client (electron/engine/host/engine-client.ts).\n');
  process.exit(2);
}
startEngine(channel, { testHooks: process.env[ENGINE_TEST_HOOKS_ENV] === '1' });
