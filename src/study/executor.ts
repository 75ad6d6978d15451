import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CodesignError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { GENERATOR_VERSION } from '../util/version.js';

/**
 * A unit of study work: a handler kind and its JSON-serializable input. Pure: the same job
 * gives the same result, so its id (the content hash) names its result.
 */
export interface Job<I = unknown> {
  kind: string;
  input: I;
}

/** A job with its id: sha256 of (kind, canonical JSON of input, generator version). */
export interface IdentifiedJob<I = unknown> extends Job<I> {
  id: string;
}

/** Why a job failed, as data: the error's class name, message and the CLI exit code it carries. */
export interface JobError {
  name: string;
  message: string;
  exitCode: number;
}

export type JobOutcome<R = unknown> = { ok: true; result: R } | { ok: false; error: JobError };

/** Progress of one `run`: `total` jobs to execute (stored ones are `skipped`, not counted in it). */
export interface ExecutorProgress {
  done: number;
  total: number;
  failed: number;
  skipped: number;
}

export interface RunOptions {
  onProgress?: (p: ExecutorProgress) => void;
}

/**
 * The bookkeeping every executor shares: counts finished and failed jobs of one `run` and
 * reports them (stored jobs are `skipped`, reported once at the start).
 */
export class ProgressCounter {
  private readonly p: ExecutorProgress;
  constructor(
    total: number,
    skipped: number,
    private readonly onProgress?: (p: ExecutorProgress) => void,
  ) {
    this.p = { done: 0, total, failed: 0, skipped };
    onProgress?.({ ...this.p });
  }

  finished(outcome: JobOutcome): void {
    this.p.done++;
    if (!outcome.ok) this.p.failed++;
    this.onProgress?.({ ...this.p });
  }
}

/**
 * Runs jobs, each at most once: a job whose successful outcome is in the result store is not
 * run again; failed ones are retried. A job's failure is its outcome, never a rejection of
 * the whole run. Implementations: LocalExecutor (worker threads on this machine) and
 * RedisExecutor (BullMQ: the same jobs enqueued by id, run by `codesign worker` processes on
 * any machine, their outcomes and files collected into the same store and study folder).
 */
export interface Executor {
  run(jobs: readonly IdentifiedJob[], opts?: RunOptions): Promise<Map<string, JobOutcome>>;
  close(): Promise<void>;
}

/** The id of a job: content hash of kind, input and generator version. */
export function jobId(job: Job): string {
  return sha256(job.kind, canonicalJson(job.input), GENERATOR_VERSION);
}

export function identify<I>(job: Job<I>): IdentifiedJob<I> {
  return { ...job, id: jobId(job) };
}

/** Any thrown value as a JobError (CodesignErrors keep their exit code; others get 1). */
export function toJobError(e: unknown): JobError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, exitCode: err instanceof CodesignError ? err.exitCode : 1 };
}

/** One stored outcome: `<store>/<id>.json`. */
export interface StoredOutcome {
  id: string;
  kind: string;
  input: unknown;
  outcome: JobOutcome;
  generator: string;
  elapsed_s: number;
  finished_at: string;
  /** Where it ran, when not on this machine's pool (a distributed worker's name). */
  worker?: string;
}

/** A directory of `<id>.json` outcomes, each written atomically: readers see whole files only. */
export class ResultStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** The stored outcome of a job, or undefined when there is none (or it is unreadable). */
  async get(id: string): Promise<StoredOutcome | undefined> {
    const p = this.path(id);
    if (!existsSync(p)) return undefined;
    try {
      const rec = JSON.parse(await readFile(p, 'utf8')) as StoredOutcome;
      return rec.id === id && rec.outcome && typeof rec.outcome.ok === 'boolean' ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  async put(job: IdentifiedJob, outcome: JobOutcome, elapsedS: number, worker?: string): Promise<void> {
    const rec: StoredOutcome = { id: job.id, kind: job.kind, input: job.input, outcome, generator: GENERATOR_VERSION, elapsed_s: elapsedS, finished_at: new Date().toISOString() };
    if (worker !== undefined) rec.worker = worker;
    await writeFileAtomic(this.path(job.id), JSON.stringify(rec, null, 1) + '\n');
  }

  /**
   * What a run still has to do: the distinct jobs without a stored success (`todo`), and the
   * stored successes of the others (`outcomes`). Stored failures are run again.
   */
  async pending(jobs: readonly IdentifiedJob[]): Promise<{ outcomes: Map<string, JobOutcome>; todo: IdentifiedJob[] }> {
    const outcomes = new Map<string, JobOutcome>();
    const todo: IdentifiedJob[] = [];
    for (const job of new Map(jobs.map((j) => [j.id, j])).values()) {
      const stored = await this.get(job.id);
      if (stored?.outcome.ok) outcomes.set(job.id, stored.outcome);
      else todo.push(job);
    }
    return { outcomes, todo };
  }
}
