/** A `Log` that says nothing, for services under test whose logging is not what the test checks. */
import type { Log } from '../../src/service/ports.js';

export const silentLog: Log = { info() {}, warn() {}, error() {}, debug() {}, child: () => silentLog };
