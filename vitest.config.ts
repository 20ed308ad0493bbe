import { defineConfig } from 'vitest/config';

// Docker, registry and git tests are slow by nature: generous timeouts, one process per file.
export default defineConfig({
  test: {
    include: ['core/test/**/*.test.ts', 'action-*/test/**/*.test.ts', 'sample-service/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    globalSetup: ['./vitest.global-setup.ts'],
  },
});
