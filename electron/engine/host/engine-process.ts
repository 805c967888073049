/**
 * The engine process: where onnxruntime runs, apart from the app and the CLI, so that a blocking native
 * call cannot freeze them and a native crash (a malformed model, out of memory) only ends this process. The
 * main side starts it with `child_process.fork` (Node: the CLI, `serve`, tests) or `utilityProcess.fork`
 * (Electron); both speak the protocol in `engine-protocol.ts`. Nothing here imports Electron.
 *
 * Start it through `EngineClient` (engine-client.ts), never directly.
 */
import './young-generation.js';
import { startEngine } from './engine-dispatcher.js';
import { connectToOwner } from './owner-channel.js';
import { testHooksEnabled } from './test-hooks.js';

startEngine(connectToOwner('electron/engine/host/engine-client.ts'), { testHooks: testHooksEnabled() });
