import { rmSync } from 'node:fs';

export default function teardown() {
  const root = process.env.CODESIGN_TEST_ROOT;
  if (!root) return;
  if (process.env.CODESIGN_KEEP_TEST_DIRS) console.log(`test files kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
