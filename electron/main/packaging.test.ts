/**
 * The installer configuration (build/electron-builder.config.cjs) cannot be exercised here (no Electron
 * download), so this checks what would break a release: electron-builder's own schema validation, the
 * targets, the entry point, native modules unpacked from the asar, the icons, the sample, and the macOS
 * entitlements.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGED_SAMPLE_DIR, PRODUCT_SAMPLE, sampleFiles } from '../engine/jobs/sample-model.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

interface TargetConfig {
  target: string;
  arch?: string[];
}
interface PlatformConfig {
  target: (string | TargetConfig)[];
  icon: string;
  files?: string[];
  [key: string]: unknown;
}
interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { output: string; buildResources: string };
  files: string[];
  extraMetadata: { main: string };
  asar: boolean;
  asarUnpack: string[];
  extraResources: { from: string; to: string; filter: string[] }[];
  fileAssociations: { ext: string }[];
  linux: PlatformConfig;
  win: PlatformConfig;
  mac: PlatformConfig & { entitlements: string; entitlementsInherit: string; hardenedRuntime: boolean };
  publish: null;
}

const config = require(path.join(root, 'build/electron-builder.config.cjs')) as BuilderConfig;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  name: string;
};

// electron-builder's own modules, resolved the way electron-builder resolves them.
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));
const { validateConfiguration } = builderRequire('./out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const { minimatch } = builderRequire('minimatch') as {
  minimatch(file: string, pattern: string, options?: { dot?: boolean }): boolean;
};

const targetNames = (p: PlatformConfig) => p.target.map((t) => (typeof t === 'string' ? t : t.target));

/** Whether a file is included by an electron-builder pattern list (later patterns win, `!` excludes). */
function included(file: string, patterns: readonly string[]): boolean {
  let result = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (minimatch(file, pattern.slice(1), { dot: true })) result = false;
    } else if (minimatch(file, pattern, { dot: true })) result = true;
  }
  return result;
}

function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder configuration', () => {
  it("passes electron-builder's own configuration validation", async () => {
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
    // ...which really does reject mistakes (so the line above means something).
    await expect(
      validateConfiguration(
        { ...config, linux: { ...config.linux, tagret: 'AppImage' } },
        { isEnabled: false, add: () => {} },
      ),
    ).rejects.toThrow(/Invalid configuration object.*\n.*configuration\.linux/);
  });

  it('builds AppImage + deb, NSIS and dmg', () => {
    expect(targetNames(config.linux)).toEqual(['AppImage', 'deb']);
    expect(targetNames(config.win)).toEqual(['nsis']);
    expect(targetNames(config.mac)).toEqual(['dmg']);
    expect(config.publish).toBeNull();
    expect(config.appId).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('ONNX Studio');
  });

  it('starts the compiled main process and packs it with the renderer, preload and engine', () => {
    expect(config.extraMetadata.main).toBe(pkg.main);
    for (const file of [
      'package.json',
      'out/electron/main/main.js',
      'out/electron/preload/preload.cjs',
      'out/electron/engine/host/engine-process.js',
      'out/electron/engine/jobs/task-process.js',
      'out/shared/ipc-contract.js',
      'out/renderer/index.html',
      'out/renderer/assets/index-abc.js',
    ]) {
      expect(included(file, config.files), file).toBe(true);
    }
    for (const file of [
      'electron/main/main.ts',
      'out/electron/main/main.js.map',
      'out/electron/engine/jobs/job-manager.test.js',
      'out/electron/scripts/bench-io.js',
    ]) {
      expect(included(file, config.files), file).toBe(false);
    }
  });

  it('unpacks onnxruntime-node (and sharp) from the asar, and every native file onnxruntime-node ships matches', () => {
    expect(config.asar).toBe(true);
    const ortBin = path.join(root, 'node_modules/onnxruntime-node/bin');
    const natives: string[] = [];
    const walk = (dir: string) => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, d.name);
        if (d.isDirectory()) walk(full);
        else natives.push(path.relative(root, full).split(path.sep).join('/'));
      }
    };
    walk(ortBin);
    expect(natives.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
    for (const file of natives) expect(included(file, config.asarUnpack), file).toBe(true);
    expect(included('node_modules/sharp/lib/index.js', config.asarUnpack)).toBe(true);
    expect(included('node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node', config.asarUnpack)).toBe(
      true,
    );
    expect(included('node_modules/zod/index.js', config.asarUnpack)).toBe(false);
  });

  it("keeps only each platform's own onnxruntime binaries", () => {
    const bin = 'node_modules/onnxruntime-node/bin/napi-v6';
    const all = ['**/*', ...config.files];
    expect(
      included(`${bin}/linux/x64/onnxruntime_binding.node`, [...all, ...(config.linux.files ?? [])]),
    ).toBe(true);
    expect(included(`${bin}/win32/x64/onnxruntime.dll`, [...all, ...(config.linux.files ?? [])])).toBe(false);
    expect(included(`${bin}/win32/x64/onnxruntime.dll`, [...all, ...(config.win.files ?? [])])).toBe(true);
    expect(
      included(`${bin}/darwin/arm64/onnxruntime_binding.node`, [...all, ...(config.win.files ?? [])]),
    ).toBe(false);
    expect(
      included(`${bin}/darwin/arm64/onnxruntime_binding.node`, [...all, ...(config.mac.files ?? [])]),
    ).toBe(true);
  });

  it('has every icon in build/, in the sizes each platform needs', () => {
    expect(config.directories.buildResources).toBe('build');
    expect(pngSize(path.join(root, 'build/icon.png'))).toEqual({ width: 1024, height: 1024 });
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      expect(pngSize(path.join(root, config.linux.icon, `${size}x${size}.png`))).toEqual({
        width: size,
        height: size,
      });
    }
    const ico = fs.readFileSync(path.join(root, config.win.icon));
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
    const icns = fs.readFileSync(path.join(root, config.mac.icon));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(icns.includes(Buffer.from('ic10'))).toBe(true); // 1024 px (512@2x)
  });

  it('ships the sample model and its data outside the asar', () => {
    // Where the app looks for it (sample-model.ts) is where the installer puts it, with every file it needs.
    const sample = config.extraResources.find((r) => r.to === PACKAGED_SAMPLE_DIR.split(path.sep).join('/'))!;
    expect(sample.from).toBe(PRODUCT_SAMPLE.sourceDir);
    expect([...sample.filter].sort()).toEqual(sampleFiles(PRODUCT_SAMPLE).sort());
    for (const file of sample.filter)
      expect(fs.existsSync(path.join(root, sample.from, file)), file).toBe(true);
  });

  it('signs macOS builds with a hardened runtime that still allows JIT and our own native libraries', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    const plist = fs.readFileSync(path.join(root, config.mac.entitlements), 'utf8');
    for (const key of ['com.apple.security.cs.allow-jit', 'com.apple.security.cs.disable-library-validation'])
      expect(plist).toContain(`<key>${key}</key>`);
    expect(config.mac.entitlementsInherit).toBe(config.mac.entitlements);
    expect(config.fileAssociations.map((a) => a.ext)).toEqual(['onnx']);
  });
});
