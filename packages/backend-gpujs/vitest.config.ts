import { defineConfig } from 'vitest/config';

// Tests import sibling workspace packages from their TypeScript sources (the
// '@symgrad/source' export condition), so no build is needed between edits.
export default defineConfig({
  resolve: { conditions: ['@symgrad/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@symgrad/source', 'module', 'node', 'import', 'default'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
