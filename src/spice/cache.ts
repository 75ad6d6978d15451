import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { sha256 } from '../util/hash.js';
import { cacheRoot } from '../util/paths.js';
import type { Engine, SimJob, SimResult } from './types.js';

/** codesign's cache root (util/paths.ts), where this cache keeps its results. */
export { cacheRoot };

/** Counts what a cached engine did: runs that reached the simulator, and hits. */
export interface CacheStats {
  runs: number;
  hits: number;
}

/**
 * Wraps an engine with a content-addressed store: the key is the hash of the engine
 * identity (simulator version, model files) and the netlist text, so a repeated run
 * costs a file read. Only successful results are stored.
 */
export class CachedEngine implements Engine {
  readonly stats: CacheStats = { runs: 0, hits: 0 };
  constructor(
    readonly inner: Engine,
    readonly dir: string = join(cacheRoot(), 'sim'),
  ) {}

  get name() {
    return this.inner.name;
  }
  get concurrency() {
    return this.inner.concurrency;
  }
  identity() {
    return this.inner.identity();
  }

  async run(job: SimJob): Promise<SimResult> {
    const id = await this.inner.identity();
    const key = sha256(id, job.netlist);
    const file = join(this.dir, key.slice(0, 2), `${key}.json`);
    if (existsSync(file)) {
      try {
        const stored = JSON.parse(await readFile(file, 'utf8')) as Omit<SimResult, 'vectors'> & { vectors: Record<string, number[]> };
        this.stats.hits++;
        const vectors = Object.fromEntries(Object.entries(stored.vectors).map(([k, v]) => [k, Float64Array.from(v)]));
        return { ...stored, vectors, cached: true, elapsedMs: 0 };
      } catch {
        // A damaged entry is recomputed and overwritten.
      }
    }
    this.stats.runs++;
    const r = await this.inner.run(job);
    const vectors = Object.fromEntries(Object.entries(r.vectors).map(([k, v]) => [k, Array.from(v)]));
    await writeFileAtomic(file, JSON.stringify({ ...r, vectors }));
    return r;
  }

  close() {
    return this.inner.close();
  }
}
