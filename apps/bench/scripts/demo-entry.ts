// The demo's command line for a bundle: the demo imports backend packages by name at run time
// (so a missing one is reported, not fatal); a bundle has no node_modules to find them in, so
// this entry imports all four statically and hands them over through the CLI's importer.
import * as cpu from '@symgrad/backend-cpu';
import * as cuda from '@symgrad/backend-cuda';
import * as gpujs from '@symgrad/backend-gpujs';
import * as webgpu from '@symgrad/backend-webgpu';
import { runCli } from '../../demo/src/cli.js';

const bundled: Record<string, unknown> = { '@symgrad/backend-cpu': cpu, '@symgrad/backend-cuda': cuda, '@symgrad/backend-gpujs': gpujs, '@symgrad/backend-webgpu': webgpu };
const importer = async (pkg: string): Promise<unknown> => {
  if (pkg in bundled) return bundled[pkg];
  throw new Error(`Cannot find package '${pkg}' (not in the bundle)`);
};

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, importer }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
