import { defineConfig } from 'vitest/config';

// This test uses the built packages (dist/, as `pnpm pack` ships them), never their sources:
// `turbo run build` builds them first (they are this package's devDependencies).
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 },
});
