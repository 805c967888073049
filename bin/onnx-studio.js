#!/usr/bin/env node
// The `onnx-studio` command. The TypeScript sources are compiled to out/ by `npm install` (the `prepare`
// script) and by `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../out/electron/cli/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('onnx-studio is not built yet. Run `npm run build` in the ONNX Studio folder.\n');
  process.exit(1);
}
await import(entry.href);
