import { defineConfig } from 'vite';

/**
 * Built into static files that the server serves at /dashboard (packages/server/src/dashboard):
 * hashed file names under assets/ (cached for a year), one index.html (never cached), no inline
 * script or style, so the page runs under a CSP of 'self' only. The SDK is bundled from its
 * source (the `@purse/source` condition), so building needs no SDK build first.
 */
export default defineConfig({
  base: '/dashboard/',
  resolve: { conditions: ['@purse/source'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
