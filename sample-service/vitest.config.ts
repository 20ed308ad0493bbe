import { defineConfig } from 'vitest/config';

// `npm test` inside sample-service (the repository root's vitest run uses the root config).
// Container tests build the image in a hook: allow for a cold `npm ci` in the builder stage.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
