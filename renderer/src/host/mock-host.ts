/**
 * A `StudioHost` with canned answers, for component tests, the browser e2e tests and UI work in plain
 * `vite dev` (open the page with `?host=mock`). Behaviour is chosen by file name so tests need no setup:
 * a name containing `broken` fails to parse, `missing` fails with an IO error, anything else inspects as
 * `SAMPLE_SUMMARY`.
 */
import type { Result } from '../../../shared/errors.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { StudioHost } from './studio-host.js';

/** The path the mock Open dialog "chooses". */
export const MOCK_DIALOG_PATH = '/models/mobilenet-v2.onnx';

/** A small but realistic summary (MobileNetV2-like) so every part of the summary view has data. */
export const SAMPLE_SUMMARY: ModelSummary = {
  path: MOCK_DIALOG_PATH,
  fileBytes: 13_964_571,
  externalDataBytes: 0,
  irVersion: 8,
  producer: { name: 'pytorch', version: '2.4.0' },
  opsets: { '': 17 },
  inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 1000] }],
  nodes: 105,
  opCounts: { Conv: 52, Clip: 35, Add: 10, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Shape: 3, Gather: 2 },
  parameters: 3_487_816,
  parameterBytes: { float32: 13_951_264 },
  largestTensors: [{ name: 'classifier.1.weight', dtype: 'float32', shape: [1000, 1280], bytes: 5_120_000 }],
};

export interface MockHostOptions {
  /** Delay before each inspect answers, in ms, so loading states are visible. Default 150. */
  latencyMs?: number;
  /** What the Open dialog returns; `null` acts like the user cancelled. */
  dialogPath?: string | null;
}

export function createMockHost(options: MockHostOptions = {}): StudioHost {
  const latencyMs = options.latencyMs ?? 150;
  const dialogPath = options.dialogPath === undefined ? MOCK_DIALOG_PATH : options.dialogPath;
  const unsupported = {
    ok: false,
    error: { code: 'INTERNAL', message: 'The mock host does not run jobs.' },
  } as const;
  return {
    kind: 'mock',
    inspectModel: async (path) => {
      await delay(latencyMs);
      return mockInspect(path);
    },
    openModelDialog: async () => ({ ok: true, value: dialogPath }),
    startJob: async () => unsupported,
    cancelJob: async () => ({ ok: true, value: { cancelled: false } }),
    getPathForFile: (file) => `/dropped/${file.name}`,
    onJobEvent: () => () => {},
    onMenuCommand: () => () => {},
  };
}

function mockInspect(path: string): Result<ModelSummary> {
  const name = path.split(/[\\/]/).pop() ?? path;
  if (name.includes('broken')) {
    return {
      ok: false,
      error: {
        code: 'MODEL_PARSE',
        message: `${name} is not a valid ONNX file: the protobuf data ends early. Re-export or re-download the model.`,
        detail: 'mock: truncated protobuf at byte 1024',
      },
    };
  }
  if (name.includes('missing')) {
    return {
      ok: false,
      error: { code: 'IO', message: `${path} does not exist. Check the path and try again.` },
    };
  }
  return { ok: true, value: { ...SAMPLE_SUMMARY, path } };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
