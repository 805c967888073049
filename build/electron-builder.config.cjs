// electron-builder configuration for the ONNX Studio desktop app: `npm run dist` builds the installers for
// the current OS into dist/ (AppImage + deb on Linux, NSIS on Windows, dmg on macOS). electron-builder
// cannot cross-build every target from one OS (dmg needs macOS), so CI builds each on its own runner.
//
// A CommonJS file rather than YAML so it can carry comments next to the reasons, and so the config test
// (electron/main/packaging.test.ts) loads exactly what electron-builder loads.
'use strict';

/** onnxruntime-node ships every platform's native library (~290 MB); each installer keeps only its own. */
const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';
const onlyOrtFor = (os) =>
  ['darwin', 'linux', 'win32'].filter((o) => o !== os).map((o) => `!${ORT_BIN}/${o}/**`);

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'io.github.onnxstudio.app',
  productName: 'ONNX Studio',
  copyright: 'Copyright © ONNX Studio contributors. MIT License.',
  directories: {
    output: 'dist',
    buildResources: 'build',
  },
  // The compiled main process, preload, engine and shared code, and the built renderer. Sources, tests,
  // benchmark scripts and source maps stay out. Production node_modules are added by electron-builder.
  files: [
    'package.json',
    'out/electron/**/*.js',
    'out/electron/**/*.cjs',
    'out/shared/**/*.js',
    'out/renderer/**/*',
    '!out/electron/scripts/**',
    '!out/electron/cli/**',
    '!out/electron/serve/**',
    '!**/*.map',
    '!**/*.test.js',
    // Bundled into out/renderer by Vite: the app needs no copy of these packages at run time.
    '!node_modules/onnxruntime-web/**',
    '!node_modules/recharts/**',
  ],
  // The entry point of the packaged app (the same as package.json `main`).
  extraMetadata: {
    main: 'out/electron/main/main.js',
  },
  asar: true,
  // Native code cannot be loaded from inside app.asar: onnxruntime-node's binding and its shared library
  // (libonnxruntime.so / .dylib / onnxruntime.dll, DirectML on Windows), and sharp with libvips (image
  // datasets) are unpacked next to it. Electron redirects their require() to app.asar.unpacked.
  asarUnpack: ['node_modules/onnxruntime-node/**', 'node_modules/sharp/**', 'node_modules/@img/**'],
  // The bundled sample (the trained digits ResNet, its labelled test set and its calibration images): outside
  // the asar so the engine process can read it like any user file (electron/engine/jobs/sample-model.ts looks
  // there; its training script and sample.json stay in the source tree).
  extraResources: [
    {
      from: 'electron/sample/digits-resnet',
      to: 'sample/digits-resnet',
      filter: ['digits-resnet.onnx', 'test-inputs.npy', 'test-labels.npy', 'calib-inputs.npy'],
    },
  ],
  // onnxruntime-node and sharp are N-API modules with prebuilt binaries: nothing to rebuild for Electron's ABI.
  npmRebuild: false,
  fileAssociations: [
    {
      ext: 'onnx',
      name: 'ONNX model',
      description: 'ONNX model',
      mimeType: 'application/x-onnx',
      role: 'Viewer',
      icon: 'icon',
    },
  ],
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'build/icons',
    // Distinct from the `onnx-studio` CLI command, so installing the app never shadows it.
    executableName: 'onnx-studio-app',
    // deb needs a maintainer; without this it would demand an e-mail in package.json's author.
    maintainer: 'ONNX Studio contributors <onnx-studio@users.noreply.github.com>',
    vendor: 'ONNX Studio contributors',
    synopsis: 'Make ONNX models smaller and faster',
    description: 'Quantize, prune, benchmark and evaluate ONNX models, and compare the variants on charts.',
    mimeTypes: ['application/x-onnx'],
    files: onlyOrtFor('linux'),
  },
  appImage: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },
  deb: {
    artifactName: '${name}_${version}_${arch}.${ext}',
    // Electron's runtime libraries on Debian/Ubuntu (the defaults, plus libgbm for GPU buffers).
    depends: [
      'libgtk-3-0',
      'libnotify4',
      'libnss3',
      'libxss1',
      'libxtst6',
      'xdg-utils',
      'libatspi2.0-0',
      'libuuid1',
      'libsecret-1-0',
      'libgbm1',
    ],
  },
  win: {
    target: [{ target: 'nsis', arch: ['x64'] }],
    icon: 'build/icon.ico',
    files: onlyOrtFor('win32'),
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    createStartMenuShortcut: true,
    shortcutName: 'ONNX Studio',
    artifactName: '${productName}-Setup-${version}.${ext}',
  },
  mac: {
    target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
    category: 'public.app-category.developer-tools',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    files: onlyOrtFor('darwin'),
  },
  dmg: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },
  // Releases are uploaded by CI, never by a local `npm run dist`.
  publish: null,
};
