#!/usr/bin/env node
// The `rollcall` command. The CLI is written in TypeScript and compiled to dist/ by `npm run build`.
import('../dist/src/cli.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('rollcall: dist/ is missing; run `npm run build` first.');
    process.exit(1);
  }
  throw error;
});
