import { defineConfig } from 'vitest/config';

// Docker, registry and git tests are slow by nature; the end-to-end suite runs files one at a time
// (`fileParallelism` false on 2 cores keeps dockerd from thrashing).
export default defineConfig({
  test: {
    include: ['core/test/**/*.test.ts', 'action-*/test/**/*.test.ts', 'sample-service/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
