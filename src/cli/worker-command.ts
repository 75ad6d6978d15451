import { ConfigError, GENERATOR_VERSION, QUEUE, StudyWorker } from '../index.js';
import { ownSignals } from './signals.js';

export const workerOptions = {
  redis: { type: 'string', demandOption: true, describe: 'Redis server of the study queue: redis://host[:port][/db]' },
  concurrency: { type: 'number', describe: 'jobs at once, one worker thread each (default: all cores)' },
  'lock-duration': { type: 'number', default: 30, describe: 's a running job stays locked without renewal; when its worker dies, the job goes back to the queue after about this plus two stall checks' },
  'stalled-interval': { type: 'number', default: 30, describe: 's between checks for jobs whose worker died' },
  'job-timeout': { type: 'number', describe: 's before a job is stopped and fails with a timeout (default 24 h)' },
} as const;

export interface WorkerArgs {
  redis: string;
  concurrency?: number;
  'lock-duration': number;
  'stalled-interval': number;
  'job-timeout'?: number;
}

const log = (line: string): void => void process.stderr.write(`codesign worker: ${line}\n`);

function seconds(v: number | undefined, flag: string): number | undefined {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new ConfigError(`${flag}: expected seconds > 0, got ${v}`);
  return v === undefined ? undefined : v * 1000;
}

/**
 * `codesign worker --redis URL`: runs study jobs from the queue until SIGINT or SIGTERM. The
 * first signal lets the running jobs finish (unless Redis is unreachable: then it exits within
 * seconds); a second one exits at once (those jobs go back to the queue when their locks lapse).
 */
export async function workerCommand(a: WorkerArgs): Promise<void> {
  if (a.concurrency !== undefined && !(Number.isInteger(a.concurrency) && a.concurrency >= 1)) throw new ConfigError(`--concurrency: expected a whole number >= 1, got ${a.concurrency}`);
  const worker = await StudyWorker.start({
    url: a.redis,
    concurrency: a.concurrency,
    lockDurationMs: seconds(a['lock-duration'], '--lock-duration'),
    stalledIntervalMs: seconds(a['stalled-interval'], '--stalled-interval'),
    jobTimeoutMs: seconds(a['job-timeout'], '--job-timeout'),
    log,
  });
  log(`${worker.name} (codesign ${GENERATOR_VERSION}) takes jobs from ${worker.target.label}, queue ${QUEUE}, ${worker.concurrency} at a time (lock ${a['lock-duration']} s, stall check every ${a['stalled-interval']} s); Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: exiting now; the running jobs go back to the queue when their locks lapse`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: no new jobs; waiting for ${worker.active} running job(s) to finish (${signal} again to exit now)`);
      void worker.close().then(() => {
        log('stopped');
        // A connection still retrying must not keep the process alive once the worker has stopped.
        setTimeout(() => process.exit(), 1000).unref();
        resolve();
      });
    };
    ownSignals();
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
