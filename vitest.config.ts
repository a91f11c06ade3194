import { defineConfig } from 'vitest/config';

// Tiers by suffix: *.unit.spec.ts (no I/O), *.int.spec.ts (real etcd, real kernel),
// *.e2e.spec.ts (a whole system). Property tests live in test/property/.
export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share one etcd (each under its own key prefix) and a 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
