import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeExamples, typecheckExamples } from './readme-examples.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
// Under this package's node_modules, so the examples resolve the built @symgrad packages.
const scratch = mkdtempSync(join(HERE, '../node_modules/.readme-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README examples', () => {
  const examples = readmeExamples(ROOT);

  it('the root README and every package README have standalone examples', () => {
    const where = new Set(examples.map((e) => e.where.split(' #')[0]));
    for (const readme of ['README.md', 'packages/core/README.md', 'packages/autodiff/README.md', 'packages/nn/README.md', 'packages/backend-cpu/README.md']) expect(where).toContain(readme);
  });

  it('type-check against the packages as built, under strict settings', () => {
    const failed = typecheckExamples(examples, join(scratch, 'readmes')).filter((r) => r.errors.length > 0);
    expect(failed).toEqual([]);
  }, 120_000);

  it('the check reports what a stale example gets wrong', () => {
    const [r] = typecheckExamples([{ where: 'stale', code: "import { T } from '@symgrad/core';\nconst x: number = T.matrix('x');\n" }], join(scratch, 'stale'));
    expect(r!.errors).toEqual(["example-0.ts line 2: Type 'Variable' is not assignable to type 'number'."]);
  });
});
