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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
