// Preloaded into a node process (NODE_OPTIONS=--import) to set its wall clock off by
// ROLLCALL_TEST_CLOCK_SKEW_MS: Date.now() is what the node's own time is read from.
import process from 'node:process';

const skew = Number(process.env.ROLLCALL_TEST_CLOCK_SKEW_MS ?? '0');
const realNow = Date.now;
Date.now = () => realNow() + skew;
