import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript source under the `source` condition,
// so tests run the code as written, without a build.
export default defineConfig({
  // Only `source` is added: vitest hands these to Node for external packages too, and an
  // `import` there would give CommonJS packages the ESM build of their dependencies.
  resolve: { conditions: ['source', 'module', 'node'] },
  ssr: { resolve: { conditions: ['source', 'node'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Real-process cluster tests run on their own: `pnpm test:cluster` (vitest.cluster.config.ts).
    exclude: ['test/cluster/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest runs cores − 1 files at a time: one on a 2-core machine. The suite mostly waits (bus, databases,
    // timers), so two files at once take ~30 % less time there (CI: embedded 956 → 670 s, distributed
    // 745 → 454 s); every test stack has its own namespace, database and ports.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
