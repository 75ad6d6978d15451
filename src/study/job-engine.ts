import { join } from 'node:path';
import type { Pdk } from '../pdk/index.js';
import { CachedEngine, createEngine, type Engine, type EngineName } from '../spice/index.js';
import type { JobContext } from './jobs.js';

/**
 * A job's simulator: the job's core share (engine workers, and native threads per run so that
 * every job's processes together fill the cores once), failed netlists in `<dir>/failed`;
 * closed when `f` ends. Returns f's result with the runs it simulated and took from the cache.
 */
export async function withJobEngine<T extends object>(
  name: EngineName,
  pdk: Pdk,
  dir: string,
  ctx: JobContext,
  f: (e: Engine) => Promise<T>,
  opts: { cache?: boolean; timeoutMs?: number } = {},
): Promise<T & { sim_runs: number; sim_hits: number }> {
  const engine = await createEngine(name, pdk, { workers: ctx.engineWorkers, threads: ctx.engineThreads, failDir: join(dir, 'failed'), ...opts });
  try {
    const r = await f(engine);
    const stats = engine instanceof CachedEngine ? engine.stats : { runs: 0, hits: 0 };
    return { ...r, sim_runs: stats.runs, sim_hits: stats.hits };
  } finally {
    await engine.close();
  }
}
