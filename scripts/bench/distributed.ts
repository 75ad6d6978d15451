import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { resolveDesign } from '../../src/design/index.js';
import { ngspiceVersion } from '../../src/spice/index.js';
import { identify, LocalExecutor, parseRedisUrl, RedisExecutor, runYield, type Executor, type YieldFile } from '../../src/study/index.js';
import { redisServerVersion, startRedis, startWorker, type Child } from '../../test/study/redis.js';
import { busyShare, progress, table, type BenchResult } from './types.js';

/** The study: an Iris yield over this many dies, 10 training epochs, no SPICE verification (characterization is the SPICE work). */
const DIES = 6;

interface Row {
  executor: string;
  processes: number;
  slots: number;
  seconds: number;
  dies_per_s: number;
  ratio: number;
  /** Share of the cores busy with other work just before the run. */
  busy: number;
}

/** The study in a fresh folder on the executor made for it (its store under `<out>/jobs`). */
async function study(makeExecutor: (out: string) => Executor, engine: 'ngspice' | 'wasm', warm = false): Promise<{ y: YieldFile; seconds: number }> {
  const out = mkdtempSync(join(tmpdir(), 'codesign-bench-distributed-'));
  const executor = makeExecutor(out);
  // The local pool's threads are warmed first (two jobs of no kind fail at once), as a worker's are when it reports ready.
  if (warm) await executor.run([identify({ kind: 'warm-up', input: 1 }), identify({ kind: 'warm-up', input: 2 })]);
  const t0 = performance.now();
  try {
    const y = await runYield({
      design: resolveDesign({}).config, seeds: Array.from({ length: DIES }, (_, i) => i + 1), spec: 0.9, accuracy: 'model', dataset: 'iris', engine,
      verify: 'none', energy: 'none', trainSeed: 1, epochs: 10, out, executor,
    });
    return { y, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await executor.close();
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Study throughput (dies/s) of the same small Iris yield on the local worker-thread pool and
 * through Redis on 1 and 2 `codesign worker` processes on this machine, each configuration
 * with as many jobs at once as there are cores, every run with an empty simulation cache.
 */
export async function run(): Promise<BenchResult> {
  const cores = availableParallelism();
  const redisVersion = redisServerVersion();
  if (!redisVersion) {
    const text = 'codesign bench: distributed\nredis-server not found: apt-get install -y redis-server';
    return { text, json: { error: 'redis-server not found' }, exitCode: 1 };
  }
  const engine = (await ngspiceVersion().catch(() => undefined)) ? 'ngspice' : 'wasm';
  const rows: Row[] = [];
  const results: YieldFile[] = [];
  const server = await startRedis();
  const cache = mkdtempSync(join(tmpdir(), 'codesign-bench-cache-'));
  const workers: Child[] = [];
  try {
    process.env.CODESIGN_CACHE = cache;
    progress(`distributed: local pool, ${cores} threads, ${DIES} dies ...`);
    const busyLocal = await busyShare();
    const base = await study((out) => new LocalExecutor({ store: join(out, 'jobs'), workers: cores }), engine, true);
    results.push(base.y);
    rows.push({ executor: 'local pool', processes: 1, slots: cores, seconds: base.seconds, dies_per_s: DIES / base.seconds, ratio: 1, busy: busyLocal });

    for (const processes of [1, 2]) {
      const slots = Math.max(1, Math.floor(cores / processes));
      progress(`distributed: ${processes} worker process(es) x ${slots} job(s) at once, ${DIES} dies ...`);
      const flush = new Redis(parseRedisUrl(server.url, 'bench').options);
      await flush.flushall();
      flush.disconnect();
      for (const w of workers.splice(0)) await w.stop();
      workers.push(...(await Promise.all(Array.from({ length: processes }, () => startWorker(server.url, ['--concurrency', String(slots)])))));
      const busy = await busyShare();
      const r = await study((out) => new RedisExecutor({ url: server.url, store: join(out, 'jobs'), pollMs: 1000 }), engine);
      results.push(r.y);
      rows.push({ executor: 'redis', processes, slots: processes * slots, seconds: r.seconds, dies_per_s: DIES / r.seconds, ratio: base.seconds / r.seconds, busy });
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
    rmSync(cache, { recursive: true, force: true });
  }
  const perDie = (y: YieldFile) => JSON.stringify(y.per_die);
  const same = results.every((y) => perDie(y) === perDie(results[0]));
  const text = [
    'codesign bench: distributed',
    `machine: ${cores} cores, ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}; ${redisVersion.split(' ').slice(0, 3).join(' ')} on loopback; engine ${engine}`,
    `study: Iris yield, ${DIES} dies (characterize + fit + train 10 epochs, no SPICE verification), empty simulation cache per run; worker start-up not timed`,
    '',
    table(['executor', 'processes', 'jobs at once', 'wall s', 'dies/s', 'vs local', 'busy before'], rows.map((r) => [r.executor, String(r.processes), String(r.slots), r.seconds.toFixed(1), r.dies_per_s.toFixed(3), `${r.ratio.toFixed(2)}x`, `${(r.busy * 100).toFixed(0)} %`])),
    '',
    ...(rows.some((r) => r.busy > 0.2) ? ['other work shared the cores (busy before > 20 %): the ratios carry that noise', ''] : []),
    `per-die results identical across the three runs: ${same ? 'yes' : 'NO'}`,
  ].join('\n');
  return { text, json: { dies: DIES, engine, rows, identical: same }, exitCode: same ? 0 : 1 };
}
