import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ngspiceVersion } from '../src/spice/index.js';

/**
 * Every test run gets its own folder (test/global-setup.js), removed when the run ends: the
 * tests' folders and each worker's simulation cache (no result is reused across runs).
 * CODESIGN_KEEP_TEST_DIRS=1 keeps it to look at.
 */
const root = process.env.CODESIGN_TEST_ROOT ?? tmpdir();
process.env.CODESIGN_CACHE ??= mkdtempSync(join(root, 'codesign-test-cache-'));

export function tempDir(prefix = 'codesign-test-'): string {
  return mkdtempSync(join(root, prefix));
}

/**
 * Tests that need native ngspice: on a developer machine without it they are skipped
 * with a message; under CI they run, and fail, since CI installs it.
 */
export async function nativeTest(): Promise<typeof it> {
  try {
    await ngspiceVersion();
    return it;
  } catch {
    if (process.env.CI) return it;
    console.warn('native ngspice not found: skipping tests that need it (apt-get install -y ngspice)');
    return it.skip;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as a user would run `codesign ...`. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env: { ...process.env, ...env, CODESIGN_DEBUG: '' }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Processes whose command line names a file under `dir` (Linux: /proc; none elsewhere). */
export function processesUnder(dir: string): string[] {
  if (!existsSync('/proc/self/stat')) return [];
  return readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false; // ended meanwhile
    }
  });
}
