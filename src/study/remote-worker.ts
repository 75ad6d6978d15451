import type { Job as BullJob, Worker as QueueWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../spice/pool.js';
import { ExitCode } from '../util/errors.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { jobId, type JobOutcome } from './executor.js';
import { SCRATCH_DIRS } from './jobs.js';
import { runOnPool, spawnStudyWorker } from './local.js';
import { filesClient, filesKey, packFolder, parseRedisUrl, probeRedis, QUEUE, replacePath, ROOT_TOKEN, type RedisTarget, type RemoteJobData, type RemoteReply } from './redis.js';

export interface StudyWorkerOptions {
  /** The Redis server of the queue: redis://host[:port][/db]. */
  url: string;
  /** Option that named the URL, for error messages (default --redis). */
  flag?: string;
  /** Jobs at once, one worker thread each (default: all cores). */
  concurrency?: number;
  /** A job's lock lasts this long without renewal; after it lapses (its worker died) the job goes back to the queue (default 30 s). */
  lockDurationMs?: number;
  /** Milliseconds between checks for jobs whose lock lapsed (default 30 s). */
  stalledIntervalMs?: number;
  /** A job running longer is stopped and fails with a timeout (default 24 h). */
  jobTimeoutMs?: number;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
}

/** Times a job may lose its worker and go back to the queue; once more and it fails. */
export const MAX_STALLED = 2;

/** A name Redis accepts for a client (no spaces): codesign-<version>@<host>-<pid>. */
function workerName(): string {
  return `codesign-${GENERATOR_VERSION}@${hostname()}-${process.pid}`.replace(/[^\w.@-]/g, '_');
}

/**
 * A `codesign worker`: takes study jobs from the queue on Redis, runs each on its own worker
 * thread (so the event loop stays free to renew the job's lock), in a temporary folder, and
 * returns the outcome with the job's folder packed into Redis. A job made by another codesign
 * version is refused with an outcome that says so.
 */
export class StudyWorker {
  readonly name = workerName();
  readonly target: RedisTarget;
  readonly concurrency: number;
  private running = 0;
  private constructor(
    target: RedisTarget,
    concurrency: number,
    private readonly pool: WorkerPool,
    private readonly redis: Redis,
    private readonly queueWorker: QueueWorker,
    private readonly log: (line: string) => void,
  ) {
    this.target = target;
    this.concurrency = concurrency;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Connects (an unreachable server fails within seconds) and starts taking jobs. */
  static async start(o: StudyWorkerOptions): Promise<StudyWorker> {
    const target = parseRedisUrl(o.url, o.flag ?? '--redis');
    await probeRedis(target);
    const concurrency = Math.max(1, Math.floor(o.concurrency ?? availableParallelism()));
    const log = o.log ?? (() => undefined);
    const engineWorkers = Math.max(1, Math.floor(availableParallelism() / concurrency));
    const timeoutMs = o.jobTimeoutMs ?? 24 * 3600_000;
    const pool = new WorkerPool(spawnStudyWorker, concurrency);
    const redis = await filesClient(target);
    const { Worker: QueueWorker } = await import('bullmq');
    let self: StudyWorker | undefined;
    const name = workerName();
    const processor = async (job: BullJob<RemoteJobData, RemoteReply>): Promise<RemoteReply> => {
      const data = job.data;
      const what = `job ${job.id!.slice(0, 12)} (${data.kind}${typeof (data.input as { out?: unknown })?.out === 'string' ? ` ${(data.input as { out: string }).out}` : ''})`;
      if (jobId(data) !== job.id) {
        const message = data.generator !== GENERATOR_VERSION
          ? `job ${job.id} was made by codesign ${data.generator}, worker ${name} runs ${GENERATOR_VERSION}: install the same codesign version on every machine`
          : `job ${job.id} is not the hash of its kind and input: refused`;
        log(`${what} refused: ${message}`);
        return { outcome: { ok: false, error: { name: 'VersionMismatch', message, exitCode: ExitCode.config } }, elapsed_s: null, files: null, worker: name };
      }
      self!.running++;
      log(`${what} started${job.attemptsStarted > 1 || job.stalledCounter > 0 ? ` (again: it was started ${job.attemptsStarted - 1} time(s) before)` : ''}`);
      const root = await mkdtemp(join(tmpdir(), 'codesign-job-'));
      try {
        const reply = await runOnPool(pool, job.id!, data, { root, engineWorkers }, timeoutMs);
        const outcome = JSON.parse(replacePath(JSON.stringify(reply.outcome), root, ROOT_TOKEN)) as JobOutcome;
        const packed = await packFolder(root, SCRATCH_DIRS);
        if (packed.count > 0) await redis.set(filesKey(job.id!), packed.data, 'EX', data.keep_s);
        const status = outcome.ok ? 'done' : `failed: ${outcome.error.name}: ${outcome.error.message.split('\n')[0]}`;
        log(`${what} ${status} (${reply.elapsed_s?.toFixed(1) ?? '-'} s, ${packed.count} files, ${(packed.data.length / 1024).toFixed(0)} KiB packed)`);
        return { outcome, elapsed_s: reply.elapsed_s ?? null, files: packed.count > 0 ? { count: packed.count, bytes: packed.bytes } : null, worker: name };
      } finally {
        self!.running--;
        await rm(root, { recursive: true, force: true });
      }
    };
    const queueWorker = new QueueWorker<RemoteJobData, RemoteReply>(QUEUE, processor, {
      connection: { ...target.options },
      name,
      concurrency,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: MAX_STALLED,
      autorun: false,
    });
    let lastError = '';
    queueWorker.on('error', (e) => {
      if (e.message !== lastError) log(`queue error (retrying): ${(lastError = e.message)}`);
    });
    queueWorker.on('failed', (job, e) => job && log(`job ${job.id?.slice(0, 12)} failed on this worker: ${e.message}`));
    self = new StudyWorker(target, concurrency, pool, redis, queueWorker, log);
    await pool.ready(); // every thread loaded before the first job is taken
    void queueWorker.run().catch((e: Error) => log(`stopped taking jobs: ${e.message}`));
    await queueWorker.waitUntilReady();
    return self;
  }

  /**
   * Stops taking jobs once the running ones have finished. (To abandon them instead, end the
   * process: their locks lapse and they go back to the queue for another worker.) When Redis
   * cannot be reached (for UNREACHABLE_MS, now or while waiting) there is nothing to wait for:
   * a running job could not hand in its outcome, and BullMQ's close would wait for the
   * connection forever. Then the running jobs are abandoned (they go back to the queue when
   * their locks lapse) and the worker closes at once.
   */
  async close(): Promise<void> {
    let stopWatching = (): void => undefined;
    const unreachable = new Promise<'unreachable'>((resolve) => {
      let since: number | undefined;
      const timer = setInterval(() => {
        if (this.redis.status === 'ready') since = undefined;
        else if (Date.now() - (since ??= Date.now()) >= UNREACHABLE_MS) resolve('unreachable');
      }, 200);
      stopWatching = () => clearInterval(timer);
    });
    const how = await Promise.race([this.queueWorker.close().then(() => 'closed' as const), unreachable]);
    stopWatching();
    if (how === 'unreachable') {
      this.log(`Redis at ${this.target.label} unreachable: closing without waiting; ${this.running ? `the ${this.running} running job(s) go back to the queue when their locks lapse` : 'no job was running'}`);
      void this.queueWorker.close(true).catch(() => undefined);
      void this.queueWorker.disconnect().catch(() => undefined);
    }
    await this.pool.close();
    this.redis.disconnect();
  }
}

/** How long Redis must stay unreachable before close() stops waiting for it. */
const UNREACHABLE_MS = 3000;
