import { defineConfig } from 'vitest/config';

// The dashboard's own tests: its pure helpers. The pages are tested in a real browser against a
// real server by packages/server/src/dashboard/browser.test.ts.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
