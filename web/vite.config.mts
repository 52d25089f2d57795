/**
 * Builds the browser app into web/dist: two pages (`/` and `/app`) sharing one Preact runtime, hashed assets
 * under /assets (served with a year-long immutable cache) and nothing inline, so the pages run under a
 * Content-Security-Policy of `script-src 'self'`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: here('public'),
  // Preact's automatic JSX runtime, without a plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    // No data: URLs: every asset is a file of this origin, which the policy allows.
    assetsInlineLimit: 0,
    // Every browser that runs ES2022 modules supports modulepreload: no polyfill chunk.
    modulePreload: { polyfill: false },
    target: 'es2022',
    rollupOptions: { input: { home: here('index.html'), app: here('app.html'), docs: here('docs.html') } },
  },
});
