/**
 * A study worker thread: runs one job at a time for LocalExecutor.
 * Message { id, job: { kind, input }, ctx } -> { id, outcome, elapsed_s }.
 */
import { parentPort } from 'node:worker_threads';
import { toJobError, type Job, type JobOutcome } from './executor.js';
import { runJob, type JobContext } from './jobs.js';

parentPort!.on('message', async (m: { id: number; job: Job; ctx: JobContext }) => {
  const t0 = performance.now();
  let outcome: JobOutcome;
  try {
    outcome = { ok: true, result: await runJob(m.job.kind, m.job.input, m.ctx) };
  } catch (e) {
    outcome = { ok: false, error: toJobError(e) };
  }
  parentPort!.postMessage({ id: m.id, outcome, elapsed_s: (performance.now() - t0) / 1000 });
});
parentPort!.postMessage({ ready: true });
