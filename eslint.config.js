// ESLint flat config. The import-boundary rules below are the architecture, enforced: the engine and
// shared/ run under plain Node (and shared/ also in the browser), so neither may reach for Electron; the
// renderer is a sandboxed web page, so it may not import Node modules; and only the IPC registration file
// and the preload may touch Electron's IPC objects.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import localRules from './eslint-rules/no-import-cycles.js';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const electronOnly = { name: 'electron', message: 'Only electron/main and electron/preload may import electron.' };
const sharedPaths = [electronOnly, ...nodeModules.map((name) => ({ name, message: 'shared/ must run in Node and the browser alike.' }))];
const sharedUp = { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ imports nothing above it.' };
/** The top layer of shared/: the protocols and the helpers built on their types (pipeline-runner runs jobs). */
const sharedProtocolModules = ['ipc-contract', 'ws-protocol', 'job-targets', 'pipeline-runner', 'experiment', 'sample'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'tmp/**', 'node_modules/**', 'renderer/dist/**', 'playwright-report/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // No import cycles anywhere in our own code (`import type` included): in shared/, domain leaves (errors,
    // model-summary, dataset-spec, bench, job-reports, latency-stats) import nothing above them, protocols
    // (ipc-contract, ws-protocol) sit on top. See eslint-rules/no-import-cycles.js.
    files: ['electron/**/*.{ts,cts,mts}', 'shared/**/*.ts', 'renderer/src/**/*.{ts,tsx}', 'e2e/**/*.ts'],
    plugins: { local: localRules },
    rules: { 'local/no-import-cycles': 'error' },
  },
  {
    files: ['electron/engine/**', 'electron/cli/**', 'electron/scripts/**', 'electron/serve/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronOnly] }] },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sharedPaths,
          patterns: [sharedUp],
        },
      ],
    },
  },
  {
    // Layers inside shared/: the protocols (the app contract, its WebSocket envelope, and helpers over job
    // specs) sit on top; every other module is domain (types and pure functions) and may not import them.
    files: ['shared/**'],
    ignores: sharedProtocolModules.flatMap((m) => [`shared/${m}.ts`, `shared/${m}.test.ts`]),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sharedPaths,
          patterns: [
            sharedUp,
            {
              group: sharedProtocolModules.map((m) => `**/${m}.js`),
              message: 'Domain modules of shared/ do not import protocols (ipc-contract, ws-protocol, job-targets, pipeline-runner, experiment, sample); move the declaration down into a domain module.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    // The build config and unit tests run in Node; the rule is for page code.
    ignores: ['renderer/vite.config.ts', 'renderer/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnly, ...nodeModules.map((name) => ({ name, message: 'The renderer is a sandboxed page: no Node modules.' }))],
          patterns: [{ group: ['**/electron/**'], message: 'The renderer talks to the engine only through StudioHost.' }],
        },
      ],
    },
  },
  {
    // Only the IPC registration file and the preload touch ipcMain / ipcRenderer.
    files: ['electron/main/**'],
    ignores: ['electron/main/ipc.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Register IPC in electron/main/ipc.ts only.' }] },
      ],
    },
  },
  {
    files: ['**/*.cjs', '**/*.cts'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Plain JavaScript entry points (bin/) run under Node; TypeScript files get their globals from tsc.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
  },
);
