#!/usr/bin/env node
// The `rex` command: loads the TypeScript sources through tsx, so it runs from a
// clone after `npm ci` and through `npx rex` without a build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('#cli/rex.ts');
process.exitCode = await run(process.argv.slice(2));
