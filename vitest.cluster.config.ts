import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The cluster suite (`pnpm test:cluster`): real processes — a 3-node NATS cluster, 2 gateways,
// 2 copies of every service — on the real Postgres. One file at a time: each starts its own cluster,
// and two at once would fight over 2 cores and turn fault timings into noise.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/cluster/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
