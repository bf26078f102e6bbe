#!/usr/bin/env node
/**
 * The `symgrad` command (and `pnpm demo`): the seed experiment on every available backend,
 * or `symgrad doctor`. Run `pnpm demo -- --help` for the options.
 */
import { runCli } from './cli.js';
import { addSoftwareVulkan } from './software-vulkan.js';

// Before any backend loads Dawn: SwiftShader joins the installed Vulkan drivers, so WebGPU
// runs (slowly, in software) on machines without a GPU and a real GPU is still preferred.
addSoftwareVulkan();

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
