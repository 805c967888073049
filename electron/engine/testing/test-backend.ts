import path from 'node:path';
import { StudioBackend, type StudioBackendOptions } from '../jobs/studio-backend.js';
import { tinyDigits } from './tiny-digits.js';

/**
 * A StudioBackend as `onnx-studio serve` runs it, for tests that drive it in process: its workspaces in
 * `dir`/data, a page that can browse and upload files, and the tiny digits classifier (tiny-digits.ts) as its
 * sample. `options` replace any of these. The caller disposes of it.
 */
export function testBackend(dir: string, options: Partial<StudioBackendOptions> = {}): StudioBackend {
  return new StudioBackend({
    dataDir: path.join(dir, 'data'),
    host: 'serve',
    version: '0.0.0-test',
    capabilities: { nativeDialogs: false, fileBrowser: true, upload: true },
    sample: tinyDigits(),
    ...options,
  });
}
