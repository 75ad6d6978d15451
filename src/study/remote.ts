import type { Job as BullJob, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { dirname } from 'node:path';
import { ExitCode, RedisUnreachableError } from '../util/errors.js';
import { GENERATOR_VERSION } from '../util/version.js';
import { ProgressCounter, ResultStore, type Executor, type IdentifiedJob, type JobOutcome, type RunOptions } from './executor.js';
import { filesClient, filesKey, parseRedisUrl, probeRedis, QUEUE, replacePath, ROOT_TOKEN, unpackFolder, type RedisTarget, type RemoteJobData, type RemoteReply } from './redis.js';

export interface RedisExecutorOptions {
  /** The Redis server of the queue: redis://host[:port][/db]. */
  url: string;
  /** Option that named the URL, for error messages (default --executor). */
  flag?: string;
  /** The result store: a directory of `<id>.json` outcomes. */
  store: string;
  /** Folder the jobs' relative paths start from; the workers' files land here (default: the store's parent). */
  root?: string;
  /** Seconds a finished job and its files stay in Redis: enqueued again within that time, a job is not run again (default 1 day). */
  keepS?: number;
  /** Milliseconds between checks of unfinished jobs, besides the queue's events (default 5000). */
  pollMs?: number;
  /** Redis unanswering this long during a run ends it with a RedisUnreachableError (default 120 s). */
  lostAfterMs?: number;
}

/** Seconds the files of a job stay in Redis once a coordinator has them (for another coordinator waiting on the same job). */
const COLLECTED_TTL_S = 600;

/** Redis errors are worth another try at the next check (until lostAfterMs); a file that cannot be written ends the run. */
class LocalFailure extends Error {}

/**
 * Runs jobs on `codesign worker` processes anywhere, through a BullMQ queue on Redis. A job's
 * BullMQ id is its content hash, so a job enqueued twice (twice in a study, by two
 * coordinators, or again while it runs) runs once. Jobs with a stored success are not
 * enqueued; a finished job's files (its run folder, packed by the worker) are written under
 * the study folder before its outcome is stored, so local and remote runs mix and resume
 * either way. A job failure is data (it completes with `{ok: false}`) and is not retried
 * within a run; a job whose worker dies is put back in the queue by BullMQ's stalled-job check.
 */
export class RedisExecutor implements Executor {
  readonly store: ResultStore;
  readonly root: string;
  readonly target: RedisTarget;
  private readonly keepS: number;
  private readonly pollMs: number;
  private readonly lostAfterMs: number;
  private conn?: Promise<{ queue: Queue; events: QueueEvents; redis: Redis }>;

  constructor(opts: RedisExecutorOptions) {
    this.target = parseRedisUrl(opts.url, opts.flag ?? '--executor');
    this.store = new ResultStore(opts.store);
    this.root = opts.root ?? dirname(this.store.dir);
    this.keepS = opts.keepS ?? 24 * 3600;
    this.pollMs = opts.pollMs ?? 5000;
    this.lostAfterMs = opts.lostAfterMs ?? 120_000;
  }

  get label(): string {
    return this.target.label;
  }

  /** Connects (an unreachable server fails within seconds); returns the names of the workers connected to the queue. */
  async connect(): Promise<{ workers: string[] }> {
    this.conn ??= (async () => {
      await probeRedis(this.target);
      const { Queue, QueueEvents } = await import('bullmq');
      const connection = { ...this.target.options };
      const queue = new Queue(QUEUE, { connection });
      const events = new QueueEvents(QUEUE, { connection });
      // The connections reconnect on their own; a check that fails is tried again at the next one.
      queue.on('error', () => undefined);
      events.on('error', () => undefined);
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      return { queue, events, redis: await filesClient(this.target) };
    })();
    this.conn.catch(() => (this.conn = undefined));
    const { queue } = await this.conn;
    const clients = await queue.getWorkers();
    return { workers: clients.map((c) => /:w:(.*)$/.exec(c.rawname ?? '')?.[1] ?? c.name ?? '?') };
  }

  async run(jobs: readonly IdentifiedJob[], opts: RunOptions = {}): Promise<Map<string, JobOutcome>> {
    const { outcomes, todo } = await this.store.pending(jobs);
    const progress = new ProgressCounter(todo.length, outcomes.size, opts.onProgress);
    if (todo.length === 0) return outcomes;
    await this.connect();
    const { queue, events } = await this.conn!;
    const waiting = new Map(todo.map((j) => [j.id, j]));
    const checking = new Set<string>();
    const recheck = new Set<string>();
    let fatal: Error | undefined;
    let lastContact = Date.now();
    let wake = () => {};
    // Collects the job when it has finished (or enqueues it again when it was lost); one check per job at a time.
    const check = async (id: string): Promise<void> => {
      const job = waiting.get(id);
      if (!job) return;
      if (checking.has(id)) return void recheck.add(id); // an event during a check: look again after it
      checking.add(id);
      try {
        const state = await queue.getJobState(id);
        lastContact = Date.now();
        if (state === 'unknown') await this.submit(job);
        else if (state === 'completed' || state === 'failed') {
          const finished = await queue.getJob(id);
          if (!finished) return;
          const outcome = await this.collect(job, finished, state);
          waiting.delete(id);
          outcomes.set(id, outcome);
          progress.finished(outcome);
        }
      } catch (e) {
        if (e instanceof LocalFailure) fatal = e;
      } finally {
        checking.delete(id);
        if (recheck.delete(id)) void check(id);
        if (waiting.size === 0 || fatal) wake();
      }
    };
    const onFinished = ({ jobId }: { jobId: string }) => void check(jobId);
    events.on('completed', onFinished);
    events.on('failed', onFinished);
    try {
      for (const job of todo) await this.submit(job);
      while (waiting.size > 0 && !fatal) {
        await Promise.all([...waiting.keys()].map(check));
        if (Date.now() - lastContact > this.lostAfterMs) {
          fatal = new RedisUnreachableError(`lost Redis at ${this.label} for ${Math.round(this.lostAfterMs / 1000)} s with ${waiting.size} job(s) unfinished; the workers keep what they run, and the study collects it when run again`);
        }
        if (waiting.size === 0 || fatal) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    } finally {
      events.off('completed', onFinished);
      events.off('failed', onFinished);
    }
    if (fatal) throw fatal;
    return outcomes;
  }

  /**
   * Enqueues a job under its content hash. A job already in the queue is left alone (waiting,
   * running, or a success whose files are still there: it is collected); a failure from an
   * earlier run, or a success whose files have expired, is removed and enqueued again.
   */
  private async submit(job: IdentifiedJob): Promise<void> {
    const { queue, redis } = await this.conn!;
    const existing = await queue.getJob(job.id);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return;
      const reply = existing.returnvalue as RemoteReply | undefined;
      if (state === 'completed' && reply?.outcome?.ok && (!reply.files || (await redis.exists(filesKey(job.id))))) return;
      await queue.remove(job.id);
    }
    const data: RemoteJobData = { kind: job.kind, input: job.input, generator: GENERATOR_VERSION, keep_s: this.keepS };
    await queue.add(job.kind, data, {
      jobId: job.id,
      // Only a worker's own trouble (its disk, its Redis link) throws; failures of the job come back as outcomes.
      attempts: 3,
      backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: { age: this.keepS },
      removeOnFail: { age: this.keepS },
    });
  }

  /** The outcome of a finished job; its files are written under the study folder first, then the outcome is stored. */
  private async collect(job: IdentifiedJob, finished: BullJob, state: 'completed' | 'failed'): Promise<JobOutcome> {
    const { redis } = await this.conn!;
    const reply = state === 'completed' ? (finished.returnvalue as RemoteReply) : undefined;
    let outcome: JobOutcome;
    let files: Buffer | null = null;
    if (!reply) {
      const tries = `${finished.attemptsMade} attempt(s)${finished.stalledCounter ? `, stalled ${finished.stalledCounter} time(s)` : ''}`;
      outcome = { ok: false, error: { name: 'RemoteJobFailed', message: `job ${job.id} failed on the workers (${tries}): ${finished.failedReason}`, exitCode: ExitCode.failure } };
    } else {
      outcome = JSON.parse(replacePath(JSON.stringify(reply.outcome), ROOT_TOKEN, this.root)) as JobOutcome;
      if (reply.files) {
        files = await redis.getBuffer(filesKey(job.id));
        if (!files) outcome = { ok: false, error: { name: 'FilesExpired', message: `the files of job ${job.id} are no longer in Redis (kept ${this.keepS} s after the job): run the study again`, exitCode: ExitCode.failure } };
      }
    }
    const elapsed = reply?.elapsed_s ?? ((finished.finishedOn ?? 0) - (finished.processedOn ?? 0)) / 1000;
    try {
      if (files) await unpackFolder(files, this.root);
      await this.store.put(job, outcome, elapsed, reply?.worker);
    } catch (e) {
      throw new LocalFailure(`cannot write the result of job ${job.id} under ${this.root}: ${(e as Error).message}`, { cause: e });
    }
    if (files) await redis.expire(filesKey(job.id), Math.min(COLLECTED_TTL_S, this.keepS));
    return outcome;
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    const { queue, events, redis } = await conn;
    await Promise.all([queue.close(), events.close()]);
    redis.disconnect();
  }
}
