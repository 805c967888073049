import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'eslint-rules/**/*.test.js'],
    exclude: ['node_modules/**', 'out/**', 'e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Inference tests are CPU-bound; on a 2-core machine more workers only add contention.
    maxWorkers: 2,
    // Tests that create sessions straight through onnxruntime: its telemetry stays off (runtime/ort-telemetry.ts).
    env: { ORT_DISABLE_TELEMETRY: '1' },
  },
});
