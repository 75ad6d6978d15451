/**
 * A private redis-server on loopback and `codesign worker` processes for the distributed
 * study tests and benchmark (`npm run bench -- distributed`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's redis-server (apt-get install -y redis-server; .ci/run installs it). */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export function redisServerVersion(): string | undefined {
  const r = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Tests that need redis-server: on a developer machine without it they are skipped with a
 * message; under CI they run, and fail, since CI installs it.
 */
export function redisTest(): typeof it {
  if (redisServerVersion() || process.env.CI) return it;
  console.warn(`${REDIS_SERVER} not found: skipping the distributed study tests (apt-get install -y redis-server)`);
  return it.skip;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Output lines of a child process, and a way to wait for one. */
class Lines {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  constructor(proc: ChildProcess, stream: 'stdout' | 'stderr') {
    let rest = '';
    proc[stream]!.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => !(w.re.test(line) && (w.resolve(line), true)));
      }
    });
  }

  /** The first line (already seen or still to come) that matches. */
  waitFor(re: RegExp, timeoutMs: number, what = 'process'): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${what}: no line matching ${re} within ${timeoutMs} ms; got:\n${this.lines.join('\n')}`)), timeoutMs);
      this.waiters.push({ re, resolve: (l) => (clearTimeout(timer), res(l)) });
    });
  }
}

export interface Child {
  proc: ChildProcess;
  out: Lines;
  /** Ends the process (SIGTERM unless told) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function child(proc: ChildProcess, stream: 'stdout' | 'stderr'): Child {
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  return {
    proc,
    out: new Lines(proc, stream),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Starts `redis-server` on a free loopback port, no persistence; resolves when it accepts connections. */
export async function startRedis(): Promise<Child & { url: string }> {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = child(proc, 'stdout');
  await c.out.waitFor(/Ready to accept connections/, 10_000, 'redis-server');
  return { ...c, url: `redis://127.0.0.1:${port}` };
}

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * Starts `codesign worker` from the sources (as a user on another machine would run it), with
 * its own simulation cache; resolves once it takes jobs. Its stderr lines are in `out`.
 */
export async function startWorker(url: string, args: string[] = []): Promise<Child> {
  const env = { ...process.env, CODESIGN_CACHE: mkdtempSync(join(process.env.CODESIGN_TEST_ROOT ?? tmpdir(), 'codesign-worker-cache-')), CODESIGN_DEBUG: '' };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', url, ...args], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const c = child(proc, 'stderr');
  await c.out.waitFor(/takes jobs from/, 60_000, 'codesign worker');
  return c;
}
