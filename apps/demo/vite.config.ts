import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web page (web/) is built into dist-web/ as a static site: `pnpm demo:web` builds and
// previews it. Workspace packages resolve to their built dist/ (the browser gets what users get).
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: './',
  build: { outDir: fileURLToPath(new URL('./dist-web', import.meta.url)), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  preview: { host: '127.0.0.1', port: 4173 },
  server: { host: '127.0.0.1' },
});
