import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { resolveDesign, type DesignInput } from '../../src/design/index.js';
import { LocalExecutor, parseRedisUrl, QUEUE, RedisExecutor, ResultStore, runYield, type Executor, type ExecutorProgress, type YieldFile } from '../../src/study/index.js';
import { packFolder, probeRedis, unpackFolder } from '../../src/study/redis.js';
import { canonicalJson, sha256 } from '../../src/util/hash.js';
import { GENERATOR_VERSION } from '../../src/util/version.js';
import { freePort, redisTest, startRedis, startWorker, type Child } from './redis.js';
import { nativeTest, runCli, tempDir } from '../helpers.js';

const native = await nativeTest();
const redis = redisTest();
/** Needs both native ngspice (the dies run on it) and redis-server. */
const study = native === it.skip ? native : redis;

const SEEDS = [1, 2, 3];
/** Fast worker settings: a dead worker's job is back in the queue after about 4 + 2 x 1 s. */
const WORKER_ARGS = ['--concurrency', '1', '--lock-duration', '4', '--stalled-interval', '1'];

/** A small Iris yield (3 dies, 10 epochs, no SPICE verification) on the given executor, in `out`. */
async function irisYield(executor: Executor, out: string, design: DesignInput = resolveDesign({}).config, onProgress?: (p: ExecutorProgress) => void): Promise<YieldFile> {
  return runYield({
    design, seeds: SEEDS, spec: 0.9, accuracy: 'model', dataset: 'iris', engine: 'ngspice', verify: 'none', energy: 'none',
    trainSeed: 1, epochs: 10, out, executor, onProgress,
  });
}

async function remoteYield(url: string, out: string, design?: DesignInput, onProgress?: (p: ExecutorProgress) => void): Promise<YieldFile> {
  const executor = new RedisExecutor({ url, store: join(out, 'jobs'), root: out, pollMs: 1000 });
  try {
    return await irisYield(executor, out, design, onProgress);
  } finally {
    await executor.close();
  }
}

/** Fields that say when, how fast, where or from which cache a job ran, not what it computed. */
const RUN_FIELDS = new Set(['elapsed_s', 'stages_s', 'samples_per_s', 'finished_at', 'worker', 'sim_runs', 'sim_hits']);
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !RUN_FIELDS.has(k)).map(([k, x]) => [k, strip(x)]));
  return v;
}

/** Every file of a study folder except the report, the local characterization checkpoints and temp files. */
function files(dir: string, sub = ''): string[] {
  return readdirSync(join(dir, sub)).flatMap((name) => {
    const rel = join(sub, name);
    if (statSync(join(dir, rel)).isDirectory()) return name === 'batches' ? [] : files(dir, rel);
    return name === 'report.html' || name.endsWith('.tmp') ? [] : [rel];
  }).sort();
}

/** The two study folders hold the same files with the same content, run fields aside. */
function expectSameStudy(remote: string, local: string): void {
  expect(files(remote)).toEqual(files(local));
  for (const f of files(local)) {
    const [a, b] = [readFileSync(join(remote, f), 'utf8'), readFileSync(join(local, f), 'utf8')];
    if (f.endsWith('.json')) expect([f, strip(JSON.parse(a))]).toEqual([f, strip(JSON.parse(b))]);
    else expect([f, a]).toEqual([f, b]);
  }
}

/** How many times each job (12-character id) was started, over the workers' logs. */
function starts(...workers: Child[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const w of workers) for (const l of w.out.lines) {
    const m = /job ([0-9a-f]{12}) \(.*\) started/.exec(l);
    if (m) n.set(m[1], (n.get(m[1]) ?? 0) + 1);
  }
  return n;
}

const connection = (url: string) => parseRedisUrl(url, 'test').options;
const jobIds = (out: string) => readdirSync(join(out, 'jobs')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, 12)).sort();

describe('distributed studies (BullMQ on a real redis-server, codesign worker processes)', () => {
  let server: (Child & { url: string }) | undefined;
  let local: { out: string; y: YieldFile } | undefined;
  const workers: Child[] = [];
  const flush = async () => {
    const r = new Redis(connection(server!.url));
    await r.flushall();
    r.disconnect();
  };

  beforeAll(async () => {
    if (study === it.skip) return;
    server = await startRedis();
    workers.push(...(await Promise.all([startWorker(server.url, WORKER_ARGS), startWorker(server.url, WORKER_ARGS)])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await server?.stop();
  });

  study(
    'a 3-die Iris yield on two worker processes equals the local executor; two coordinators at once run each job once',
    async () => {
      const out = tempDir();
      const executor = new LocalExecutor({ store: join(out, 'jobs'), root: out, workers: 2 });
      try {
        local = { out, y: await irisYield(executor, out) };
      } finally {
        await executor.close();
      }
      expect(local.y.per_die.every((d) => d.ok)).toBe(true);

      const [a, b] = [tempDir(), tempDir()];
      const progress: ExecutorProgress[] = [];
      const [ya, yb] = await Promise.all([remoteYield(server!.url, a, undefined, (p) => progress.push(p)), remoteYield(server!.url, b)]);
      for (const [y, dir] of [[ya, a], [yb, b]] as const) {
        expect(strip(y)).toEqual(strip(local.y));
        expectSameStudy(dir, local.out);
      }
      expect(existsSync(join(a, 'dies', 'die-1', 'batches'))).toBe(false); // checkpoints stay on the worker
      // The same progress counts as the local pool: 3 to run, 0 stored, each finished once.
      expect(progress[0]).toEqual({ done: 0, total: 3, failed: 0, skipped: 0 });
      expect(progress.at(-1)).toEqual({ done: 3, total: 3, failed: 0, skipped: 0 });
      // Six enqueues of three jobs: each ran once, on one of the two workers.
      const n = starts(...workers);
      expect([...n.keys()].sort()).toEqual(jobIds(local.out));
      expect([...n.values()]).toEqual([1, 1, 1]);
      expect(workers.every((w) => w.out.lines.some((l) => / started/.test(l)))).toBe(true);
      // Where each die ran is stored with its outcome.
      const stored = await new ResultStore(join(a, 'jobs')).get(readdirSync(join(a, 'jobs'))[0].replace('.json', ''));
      expect(stored?.worker).toMatch(new RegExp(`^codesign-${GENERATOR_VERSION}@`));
    },
    240_000,
  );

  study(
    'the same study in a new folder takes every finished job from Redis and runs none; the same folder takes them from its store',
    async () => {
      const before = starts(...workers);
      const c = tempDir();
      const progress: ExecutorProgress[] = [];
      const y = await remoteYield(server!.url, c, undefined, (p) => progress.push(p));
      expect(strip(y)).toEqual(strip(local!.y));
      expectSameStudy(c, local!.out);
      expect(starts(...workers)).toEqual(before);
      const again: ExecutorProgress[] = [];
      await remoteYield(server!.url, c, undefined, (p) => again.push(p));
      expect(again).toEqual([{ done: 0, total: 0, failed: 0, skipped: 3 }]);
    },
    60_000,
  );

  study(
    'a worker killed while it runs a die: the die goes back to the queue, the other worker runs it, the results are the same',
    async () => {
      // Fresh workers with empty simulation caches, so that every die takes its full time.
      await flush();
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      const [victim, survivor] = await Promise.all([startWorker(server!.url, WORKER_ARGS), startWorker(server!.url, WORKER_ARGS)]);
      workers.push(victim, survivor);
      const out = tempDir();
      const run = remoteYield(server!.url, out);
      const line = await victim.out.waitFor(/ started/, 60_000, 'the worker to be killed');
      await new Promise((r) => setTimeout(r, 1500)); // well inside the job (a die takes several seconds)
      await victim.stop('SIGKILL');
      const y = await run;
      expect(strip(y)).toEqual(strip(local!.y));
      expectSameStudy(out, local!.out);
      const killed = /job ([0-9a-f]{12})/.exec(line)![1];
      expect(survivor.out.lines.filter((l) => l.includes(`job ${killed}`))).toEqual([expect.stringMatching(/started \(again/), expect.stringMatching(/ done /)]);
      workers.push(await startWorker(server!.url, WORKER_ARGS)); // a replacement for the tests below
    },
    240_000,
  );

  study(
    'a die that fails for good (design below the PDK minimum) fails once with its error and exit code, reported per die; a rerun tries it again',
    async () => {
      const out = tempDir();
      const bad: DesignInput = { soma: { n: { l: '0.1u' } } }; // checked in the job, on the worker
      const before = starts(...workers);
      const y = await remoteYield(server!.url, out, bad);
      expect(y.dies).toBe(0);
      expect(y.failed.map((f) => f.die_seed)).toEqual(SEEDS);
      for (const f of y.failed) expect(f.error).toMatch(/ConfigError: .*below the gf180mcu nfet minimum/);
      const ids = jobIds(out);
      const stored = await Promise.all(readdirSync(join(out, 'jobs')).map((f) => new ResultStore(join(out, 'jobs')).get(f.replace('.json', ''))));
      for (const s of stored) expect(s?.outcome).toMatchObject({ ok: false, error: { name: 'ConfigError', exitCode: 3 } });
      const once = starts(...workers);
      for (const id of ids) expect((once.get(id) ?? 0) - (before.get(id) ?? 0)).toBe(1);
      // Completed in BullMQ (the failure is the job's result), so BullMQ never retried it.
      const queue = new Queue(QUEUE, { connection: connection(server!.url) });
      try {
        const jobs = await Promise.all(readdirSync(join(out, 'jobs')).map((f) => queue.getJob(f.replace('.json', ''))));
        for (const j of jobs) expect([await j!.getState(), j!.attemptsStarted]).toEqual(['completed', 1]);
      } finally {
        await queue.close();
      }
      await remoteYield(server!.url, out, bad); // stored failures are run again, as with the local executor
      const twice = starts(...workers);
      for (const id of ids) expect((twice.get(id) ?? 0) - (before.get(id) ?? 0)).toBe(2);
    },
    120_000,
  );

  study(
    'a job made by another codesign version is refused with an error naming both versions',
    async () => {
      const input = { design: {}, out: 'dies/die-1' };
      const id = sha256('flow', canonicalJson(input), '0.0.0-other');
      const queue = new Queue(QUEUE, { connection: connection(server!.url) });
      try {
        await queue.add('flow', { kind: 'flow', input, generator: '0.0.0-other', keep_s: 60 }, { jobId: id });
        let state = '';
        for (let i = 0; i < 100 && state !== 'completed'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          state = await queue.getJobState(id);
        }
        const job = await queue.getJob(id);
        expect(job?.returnvalue.outcome).toMatchObject({ ok: false, error: { name: 'VersionMismatch', exitCode: 3 } });
        expect(job?.returnvalue.outcome.error.message).toMatch(new RegExp(`made by codesign 0\\.0\\.0-other, worker .* runs ${GENERATOR_VERSION.replace(/\./g, '\\.')}`));
      } finally {
        await queue.close();
      }
    },
    60_000,
  );

  it('a job folder travels packed: every file but the checkpoints, the worker\'s temporary path replaced by the study folder', async () => {
    const [src, dst] = [tempDir(), tempDir()];
    mkdirSync(join(src, 'dies', 'die-1', 'batches'), { recursive: true });
    mkdirSync(join(src, 'dies', 'die-1', 'failed'), { recursive: true });
    writeFileSync(join(src, 'dies', 'die-1', 'verify.json'), JSON.stringify({ failures: [{ netlist: join(src, 'dies', 'die-1', 'failed', 'a.cir') }] }));
    writeFileSync(join(src, 'dies', 'die-1', 'failed', 'a.cir'), '* netlist\n');
    writeFileSync(join(src, 'dies', 'die-1', 'batches', 'soma-0.json'), '{}');
    const packed = await packFolder(src, ['batches']);
    expect(packed.count).toBe(2);
    expect(packed.data.includes(src)).toBe(false);
    expect(await unpackFolder(packed.data, dst)).toEqual([join('dies', 'die-1', 'failed', 'a.cir'), join('dies', 'die-1', 'verify.json')]);
    expect(JSON.parse(readFileSync(join(dst, 'dies', 'die-1', 'verify.json'), 'utf8')).failures[0].netlist).toBe(join(dst, 'dies', 'die-1', 'failed', 'a.cir'));
    expect(readFileSync(join(dst, 'dies', 'die-1', 'failed', 'a.cir'), 'utf8')).toBe('* netlist\n');
    expect(existsSync(join(dst, 'dies', 'die-1', 'batches'))).toBe(false);
  });

  it('Redis unreachable: worker and yield --executor exit with code 8 within seconds; a bad URL is a config error naming the option', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const out = tempDir();
    const t0 = Date.now();
    const [worker, yieldRun, badUrl, badRedis] = await Promise.all([
      runCli(['worker', '--redis', closed]),
      runCli(['yield', '--dies', '1', '--spec', '0.9', '--out', out, '--executor', closed]),
      runCli(['yield', '--dies', '1', '--spec', '0.9', '--out', out, '--executor', 'http://127.0.0.1:6379']),
      runCli(['worker', '--redis', 'redis://']),
    ]);
    expect(Date.now() - t0).toBeLessThan(30_000); // four CLI starts from the sources, in parallel, on 2 cores
    for (const r of [worker, yieldRun]) {
      expect([r.code, r.stderr]).toEqual([8, expect.stringMatching(new RegExp(`cannot reach Redis at ${closed}: .*ECONNREFUSED`))]);
    }
    expect([badUrl.code, badUrl.stderr]).toEqual([3, expect.stringMatching(/--executor: expected local or redis:\/\/host/)]);
    expect([badRedis.code, badRedis.stderr]).toEqual([3, expect.stringMatching(/--redis: .*expected redis:\/\/host/)]);
    // The connection check itself: a refused port at once, a server that never answers after the timeout.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    try {
      const mute = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
      for (const [url, timeoutMs, why] of [[closed, 5000, /ECONNREFUSED/], [mute, 1000, /no answer within 1 s/]] as const) {
        const t = Date.now();
        await expect(probeRedis(parseRedisUrl(url, '--redis'), timeoutMs)).rejects.toThrow(why);
        expect(Date.now() - t).toBeLessThan(timeoutMs + 1000);
      }
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  redis('a worker whose Redis has gone exits on the first SIGTERM, within 10 s', async () => {
    const own = await startRedis();
    const worker = await startWorker(own.url, WORKER_ARGS);
    const exited = new Promise<number | null>((res) => worker.proc.once('exit', (code) => res(code)));
    try {
      await own.stop();
      await worker.out.waitFor(/queue error \(retrying\): .*ECONNREFUSED/, 30_000, 'the worker to lose Redis');
      const t0 = Date.now();
      worker.proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'running'>((res) => (timer = setTimeout(() => res('running'), 15_000)))]);
      clearTimeout(timer);
      expect([code, Date.now() - t0 < 10_000]).toEqual([0, true]);
      expect(worker.out.lines.join('\n')).toMatch(/unreachable: closing without waiting; no job was running\n.*stopped/);
    } finally {
      await worker.stop('SIGKILL');
      await own.stop();
    }
  }, 120_000);
});
