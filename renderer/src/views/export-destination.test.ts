import { describe, expect, it } from 'vitest';
import { resolveDestination } from './export-view.js';

describe('export destinations', () => {
  it('takes absolute paths as typed (POSIX, drive letters, UNC)', () => {
    expect(resolveDestination(' /tmp/out.onnx ', '/models/net.onnx')).toEqual({
      ok: true,
      path: '/tmp/out.onnx',
      relative: false,
    });
    expect(resolveDestination('C:\\out\\net.onnx', 'C:\\models\\net.onnx')).toMatchObject({
      ok: true,
      path: 'C:\\out\\net.onnx',
    });
    expect(resolveDestination('\\\\server\\share\\a.onnx', 'C:\\m\\n.onnx')).toMatchObject({
      ok: true,
      relative: false,
    });
  });

  it("resolves a relative path against the model's folder instead of sending it to be refused", () => {
    expect(resolveDestination('relative.onnx', '/models/net.onnx')).toEqual({
      ok: true,
      path: '/models/relative.onnx',
      relative: true,
    });
    expect(resolveDestination('./out/../v/x.onnx', '/home/me/models/net.onnx')).toMatchObject({
      path: '/home/me/models/v/x.onnx',
    });
    expect(resolveDestination('../../../../x.onnx', '/models/net.onnx')).toMatchObject({ path: '/x.onnx' });
    expect(resolveDestination('x.onnx', '/net.onnx')).toMatchObject({ path: '/x.onnx' });
    expect(resolveDestination('out\\x.onnx', 'C:\\models\\net.onnx')).toMatchObject({
      path: 'C:\\models\\out\\x.onnx',
    });
    expect(resolveDestination('x.onnx', '\\\\server\\share\\net.onnx')).toMatchObject({
      path: '\\\\server\\share\\x.onnx',
    });
  });

  it('refuses an empty path and ~ in plain words, with an example of a full path', () => {
    const empty = resolveDestination('  ', '/models/net.onnx');
    expect(empty).toEqual({
      ok: false,
      message: expect.stringMatching(/Give a full path such as \/home\/you\/model\.onnx/),
    });
    const home = resolveDestination('~/net.onnx', '/models/net.onnx');
    expect(home).toEqual({
      ok: false,
      message: expect.stringMatching(/^~ is not expanded here\. Give a full path/),
    });
    expect(resolveDestination('', '/models/net.onnx', 'folder')).toMatchObject({
      message: expect.stringMatching(/folder/),
    });
    for (const r of [empty, home]) expect(r.ok || r.message).not.toMatch(/malformed|bug|absolute/);
  });
});

import { exportBasePath } from './export-folder.js';
import { suggestedDestination } from './export-view.js';

describe("the bundled sample's export destination", () => {
  const sample = { modelPath: '/opt/ONNX Studio/resources/sample/digits-resnet/digits-resnet.onnx' } as never;

  it("is the home folder, not the app's own (read-only) folder; any other model's stays beside it", () => {
    const info = { homeDir: '/home/you', sample };
    const base = exportBasePath('/opt/ONNX Studio/resources/sample/digits-resnet/digits-resnet.onnx', info);
    expect(base).toBe('/home/you/digits-resnet.onnx');
    expect(suggestedDestination(base, 'int8-static')).toBe('/home/you/digits-resnet-int8-static.onnx');
    expect(exportBasePath('/models/net.onnx', info)).toBe('/models/net.onnx');
    expect(exportBasePath('/models/net.onnx', null)).toBe('/models/net.onnx');
    expect(
      exportBasePath('C:\\Program Files\\ONNX Studio\\sample\\d.onnx', {
        homeDir: 'C:\\Users\\you\\',
        sample: { modelPath: 'C:\\Program Files\\ONNX Studio\\sample\\d.onnx' } as never,
      }),
    ).toBe('C:\\Users\\you\\d.onnx');
  });
});
