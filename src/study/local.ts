import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { TaskTimeout, WorkerPool } from '../spice/pool.js';
import { ExitCode } from '../util/errors.js';
import { spawnModuleWorker } from '../util/worker.js';
import { ProgressCounter, ResultStore, toJobError, type Executor, type IdentifiedJob, type Job, type JobOutcome, type RunOptions } from './executor.js';
import type { JobContext } from './jobs.js';

export interface LocalExecutorOptions {
  /** The result store: a directory of `<id>.json` outcomes. */
  store: string;
  /** Folder the jobs' relative paths start from (default: the store's parent). */
  root?: string;
  /** Worker threads, one job each at a time (default: all cores). */
  workers?: number;
  /** Simulator runs per job (default: the cores left to each worker, at least 1). */
  engineWorkers?: number;
  /** A job running longer is stopped and fails with a timeout (default 24 h). */
  jobTimeoutMs?: number;
}

/** A study worker thread: the compiled worker next to this file; from the .ts sources (tests, tsx) through a tsx bootstrap. */
export function spawnStudyWorker(): Worker {
  return spawnModuleWorker(import.meta.url, 'worker');
}

/** What a pool thread hands back for one job: its outcome and the thread's time on it (undefined when the thread died or was stopped). */
export interface PoolReply {
  outcome: JobOutcome;
  elapsed_s?: number;
}

/**
 * Runs one job on a thread of the pool (made by spawnStudyWorker). A job past its timeout
 * (the thread is replaced) or a thread that dies becomes a failed outcome, never a rejection.
 */
export async function runOnPool(pool: WorkerPool, id: string, job: Job, ctx: JobContext, timeoutMs: number): Promise<PoolReply> {
  try {
    const reply = await pool.submit({ job: { kind: job.kind, input: job.input }, ctx }, timeoutMs);
    return { outcome: reply.outcome as JobOutcome, elapsed_s: reply.elapsed_s as number };
  } catch (e) {
    const error = e instanceof TaskTimeout ? { name: 'JobTimeout', message: `job ${id} ${e.message}`, exitCode: ExitCode.timeout } : toJobError(e);
    return { outcome: { ok: false, error } };
  }
}

/**
 * Runs jobs on a pool of worker threads on this machine (one job per thread at a time),
 * skipping those with a stored successful outcome. Threads start only when there is work.
 */
export class LocalExecutor implements Executor {
  readonly store: ResultStore;
  readonly workers: number;
  private readonly ctx: JobContext;
  private readonly timeoutMs: number;
  private pool?: WorkerPool;

  constructor(opts: LocalExecutorOptions) {
    this.store = new ResultStore(opts.store);
    const cores = availableParallelism();
    this.workers = Math.max(1, Math.floor(opts.workers ?? cores));
    this.ctx = { root: opts.root ?? dirname(this.store.dir), engineWorkers: Math.max(1, Math.floor(opts.engineWorkers ?? cores / this.workers)) };
    this.timeoutMs = opts.jobTimeoutMs ?? 24 * 3600_000;
  }

  async run(jobs: readonly IdentifiedJob[], opts: RunOptions = {}): Promise<Map<string, JobOutcome>> {
    const { outcomes, todo } = await this.store.pending(jobs);
    const progress = new ProgressCounter(todo.length, outcomes.size, opts.onProgress);
    if (todo.length === 0) return outcomes;
    this.pool ??= new WorkerPool(spawnStudyWorker, Math.min(this.workers, todo.length));
    const pool = this.pool;
    await Promise.all(
      todo.map(async (job) => {
        const t0 = performance.now();
        const { outcome, elapsed_s } = await runOnPool(pool, job.id, job, this.ctx, this.timeoutMs);
        // The worker's own time; for a crashed or stopped job, the time since it was queued.
        await this.store.put(job, outcome, elapsed_s ?? (performance.now() - t0) / 1000);
        outcomes.set(job.id, outcome);
        progress.finished(outcome);
      }),
    );
    return outcomes;
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
