// Builds the renderer for the `app://` scheme: `base: './'` makes asset URLs relative, so the same build
// works from `app://renderer/`, from the e2e test server, and from any folder.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  // Absolute, so the config works whatever directory `vite` is started from.
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    // The output folder is outside `root`, where Vite will not empty it unless asked.
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { host: '127.0.0.1', strictPort: true },
});
