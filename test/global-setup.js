import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One folder for the test run's temporary files (test/helpers.ts), removed by
 * global-teardown.js. It is also the test processes' TMPDIR, so what they leave in the system
 * temp folder when jest ends them (their ngspice scratch folders, codesign-<pid>-*) goes with it.
 */
export default function setup() {
  const root = mkdtempSync(join(tmpdir(), 'codesign-test-run-'));
  process.env.CODESIGN_TEST_ROOT = root;
  process.env.TMPDIR = root;
}
