#!/usr/bin/env node
/**
 * The `symgrad` command (and `pnpm demo`): the seed experiment on every available backend,
 * or `symgrad doctor`. Run `pnpm demo -- --help` for the options.
 */
import { runCli } from './cli.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
