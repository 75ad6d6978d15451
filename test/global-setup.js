import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One folder for the test run's temporary files (test/helpers.ts), removed by global-teardown.js. */
export default function setup() {
  process.env.CODESIGN_TEST_ROOT = mkdtempSync(join(tmpdir(), 'codesign-test-run-'));
}
