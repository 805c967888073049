import { describe, expect, it } from 'vitest';
import type { Workspace } from './workspace.js';
import {
  benchTitle,
  calibratedOn,
  exportTitle,
  jobTitle,
  shortDestination,
  workspaceTargetName,
} from './job-titles.js';

const ws = {
  variants: [{ id: 'v-080c38abe3', name: 'int8-weight' }],
  tunes: [{ trials: [{ index: 1, name: 'int8-static minmax per-channel', variantId: 'v-9a263c0a57' }] }],
} as unknown as Workspace;
const names = (t: string) => workspaceTargetName(ws, t);

describe('job titles', () => {
  it('name variants and trials by name, and never show a variant id', () => {
    expect(
      jobTitle({ kind: 'bench', modelPath: '/m/a.onnx', targets: ['original', 'v-9a263c0a57'] }, names),
    ).toBe('Benchmark original, int8-static minmax per-channel (onnxruntime-node, cpu)');
    expect(
      jobTitle(
        { kind: 'bench', modelPath: '/m/a.onnx', targets: ['original', 'v-dc6801f497'], ep: 'cuda' },
        names,
      ),
    ).toBe('Benchmark original, a removed variant (onnxruntime-node, cuda)');
    const evaluate = {
      kind: 'evaluate',
      modelPath: '/m/a.onnx',
      data: { spec: { kind: 'synthetic', samples: 4 } },
    } as const;
    expect(jobTitle({ ...evaluate, target: 'v-080c38abe3' }, names)).toBe('Evaluate int8-weight');
    expect(jobTitle({ ...evaluate, target: 'v-0123456789' }, () => undefined)).not.toMatch(/v-[0-9a-f]{6,}/);
    expect(
      jobTitle(
        { kind: 'quantize', modelPath: '/m/a.onnx', method: 'int8-dynamic', source: 'v-080c38abe3' },
        names,
      ),
    ).toBe('Quantize: int8-dynamic (from int8-weight)');
  });

  it('list benchmarked models so that a name with " + " or a comma never reads as more models', () => {
    expect(
      benchTitle(
        ['original', 'fp16', 'structured 10% + int8-static', 'structured 10% + int8-static (2)'],
        'cpu',
      ),
    ).toBe(
      'Benchmark original, fp16, structured 10% + int8-static, structured 10% + int8-static (2) (onnxruntime-node, cpu)',
    );
    expect(benchTitle(['original', 'fast, small'], undefined)).toBe(
      'Benchmark original, “fast, small” (onnxruntime-node, cpu)',
    );
  });

  it('tell two exports of one variant to different folders apart', () => {
    const a = jobTitle(
      { kind: 'export', modelPath: '/m/a.onnx', target: 'v-080c38abe3', outputPath: '/proc/nope/x.onnx' },
      names,
    );
    const b = jobTitle(
      {
        kind: 'export',
        modelPath: '/m/a.onnx',
        target: 'v-080c38abe3',
        outputPath: '/tmp/explore/fx/relative/sub/x.onnx',
      },
      names,
    );
    expect(a).toBe('Export int8-weight to /proc/nope/x.onnx');
    expect(b).toBe('Export int8-weight to …/relative/sub/x.onnx');
    expect(a).not.toBe(b);
    expect(exportTitle('int8-weight', 'C:\\Users\\me\\models\\out\\x.onnx')).toBe(
      'Export int8-weight to …/models/out/x.onnx',
    );
    expect(shortDestination('/x.onnx')).toBe('/x.onnx');
  });
});

describe('a calibrated quantization names its data', () => {
  it('by file, or by its count of synthetic samples, so two int8-static runs are told apart', () => {
    const none = () => undefined;
    const on = (calibration: { spec: { kind: string; path?: string; samples?: number } }) =>
      jobTitle({ kind: 'quantize', modelPath: '/m/x.onnx', method: 'int8-static', calibration }, none);
    expect(on({ spec: { kind: 'npz', path: '/data/calib big.npz' } })).toBe(
      'Quantize: int8-static on calib big.npz',
    );
    expect(on({ spec: { kind: 'synthetic', samples: 32 } })).toBe(
      'Quantize: int8-static on 32 synthetic samples',
    );
    expect(calibratedOn(undefined)).toBe('');
    expect(jobTitle({ kind: 'quantize', modelPath: '/m/x.onnx', method: 'int8-dynamic' }, none)).toBe(
      'Quantize: int8-dynamic',
    );
  });
});
