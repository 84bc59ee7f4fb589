import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import the SDK from its sources (the package's `@purse/source` export condition).
  resolve: { conditions: ['@purse/source'] },
  test: {
    include: ['test/**/*.test.ts'],
    // The server's global setup: one PostgreSQL and a migrated template each test file copies.
    globalSetup: ['../server/src/test-support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
