import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The SDK from its sources (its package's "@purse/source" export), so tests need no build of it.
  resolve: { conditions: ['@purse/source'] },
  ssr: { resolve: { conditions: ['@purse/source'] } },
  test: {
    include: ['src/**/*.test.ts'],
    // The server's database setup: one migrated template, cloned by each test file's Purse server.
    globalSetup: ['../server/src/test-support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
