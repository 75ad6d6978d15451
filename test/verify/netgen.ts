/** Tests that need netgen (Debian package netgen-lvs; .ci/run installs it). */
import { netgenVersion } from '../../src/verify/index.js';

/**
 * On a developer machine without netgen the tests that need it are skipped with a message;
 * under CI they run, and fail, since CI installs it.
 */
export async function netgenTest(): Promise<typeof it> {
  try {
    await netgenVersion();
    return it;
  } catch {
    if (process.env.CI) return it;
    console.warn('netgen not found: skipping the LVS tests (apt-get install -y netgen-lvs, or set NETGEN)');
    return it.skip;
  }
}
