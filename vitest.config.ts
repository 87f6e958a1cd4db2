import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Browser tests (test/e2e) need the built console; `npm test` builds it before running vitest.
    // Integration tests start real servers and real SDK clients; they run in forks so a
    // kill -9 of a child server or a stray socket never shares a process with another file.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
