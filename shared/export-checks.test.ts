import { describe, expect, it } from 'vitest';
import { defaultExportFileName } from './export-checks.js';

// The variants of the user test's bigcnn.onnx, as its Export view listed them.
const names = [
  'fp16',
  'int8-static',
  'structured 10%',
  'structured 10% + int8-static',
  'tuned: int8-static percentile per-tensor',
  'tuned: int8-static percentile per-channel',
];

describe("Export's default file name", () => {
  it('comes from the display name, so two variants of one recipe never share it', () => {
    const files = names.map((n) => defaultExportFileName('/tmp/fx/bigcnn.onnx', n, names));
    expect(files).toEqual([
      'bigcnn-fp16.onnx',
      'bigcnn-int8-static.onnx',
      'bigcnn-structured10.onnx',
      'bigcnn-structured10-int8-static.onnx',
      'bigcnn-tuned-int8-static-percentile-per-tensor.onnx',
      'bigcnn-tuned-int8-static-percentile-per-channel.onnx',
    ]);
    expect(new Set(files).size).toBe(files.length);
    expect(defaultExportFileName('C:\\m\\My Net.v2.onnx', 'int8-static (2)', [])).toBe(
      'My Net.v2-int8-static-2.onnx',
    );
  });

  it('tells apart names that read alike as files, by their order, and never lands on another one', () => {
    const alike = ['Fast small', 'fast-small', 'fast-small-2', 'fast small!'];
    const files = alike.map((n) => defaultExportFileName('/m/net.onnx', n, alike));
    expect(files).toEqual([
      'net-fast-small.onnx',
      'net-fast-small-3.onnx',
      'net-fast-small-2.onnx',
      'net-fast-small-4.onnx',
    ]);
    expect(defaultExportFileName('/m/net.onnx', '量子化 ★', [])).toBe('net-量子化.onnx');
    expect(defaultExportFileName('/m/net.onnx', '★', [])).toBe('net-variant.onnx');
  });
});
