import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CodesignError, NetlistError, SimTimeoutError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { countAnalyses, diagnose, saveFailedNetlist } from './diagnose.js';
import { TaskTimeout, WorkerPool } from './pool.js';
import { parseRaw } from './raw.js';
import type { Engine, EngineOptions, SimJob, SimResult } from './types.js';

const require = createRequire(import.meta.url);

/** Version of the bundled simulator package: part of every cache key. */
export function eecircuitVersion(): string {
  // The package's "exports" hide package.json, so look for it on the module search paths.
  for (const dir of require.resolve.paths('eecircuit-engine') ?? []) {
    const p = join(dir, 'eecircuit-engine', 'package.json');
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')).version as string;
  }
  return 'unknown';
}

/**
 * The worker script: compiled .js next to this file; when running from the .ts sources
 * (tests, tsx), a bootstrap registers tsx in the worker thread first.
 */
function spawnWorker(files: { name: string; content: string }[]): Worker {
  const here = fileURLToPath(import.meta.url);
  const options = { workerData: { files }, stdout: true, stderr: true };
  if (!here.endsWith('.ts')) return new Worker(join(dirname(here), 'wasm-worker.js'), options);
  const tsx = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const script = pathToFileURL(join(dirname(here), 'wasm-worker.ts')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

export interface WasmEngineOptions extends EngineOptions {
  /** Extra model files written into each engine's virtual file system (a PDK on disk). */
  files?: { name: string; content: string }[];
}

/** ngspice in WebAssembly, one warm instance per worker thread. */
export class WasmEngine implements Engine {
  readonly name = 'wasm' as const;
  readonly concurrency: number;
  private pool: WorkerPool;
  private readonly timeoutMs: number;
  private readonly failDir?: string;
  private readonly id: string;

  constructor(opts: WasmEngineOptions = {}) {
    this.concurrency = Math.max(1, opts.workers ?? availableParallelism());
    this.timeoutMs = opts.timeoutMs ?? 300_000;
    this.failDir = opts.failDir;
    const files = opts.files ?? [];
    this.pool = new WorkerPool(() => spawnWorker(files), this.concurrency);
    this.id = `wasm/eecircuit-engine@${eecircuitVersion()}/${sha256(...files.flatMap((f) => [f.name, f.content])).slice(0, 12)}`;
  }

  /** Resolves once every worker has a started engine (for timing start-up separately). */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  async identity(): Promise<string> {
    return this.id;
  }

  async run(job: SimJob): Promise<SimResult> {
    if (countAnalyses(job.netlist) !== 1) {
      throw new NetlistError(`a deck must hold exactly one analysis line (found ${countAnalyses(job.netlist)})`, {
        netlistPath: saveFailedNetlist(job, this.failDir),
      });
    }
    const timeoutMs = job.timeoutMs ?? this.timeoutMs;
    const t0 = performance.now();
    let reply: Record<string, unknown>;
    try {
      reply = await this.pool.submit({ type: 'run', netlist: job.netlist }, timeoutMs);
    } catch (e) {
      if (e instanceof TaskTimeout) throw new SimTimeoutError(timeoutMs, { netlistPath: saveFailedNetlist(job, this.failDir) });
      throw e;
    }
    if (!reply.ok) throw new CodesignError(`wasm engine failed on ${saveFailedNetlist(job, this.failDir)}: ${reply.error}`);
    const messages = reply.messages as string[];
    const err = diagnose(messages, job, this.failDir);
    if (err) throw err;
    if (!reply.raw) {
      const p = saveFailedNetlist(job, this.failDir);
      throw new NetlistError(messages.filter((m) => m.trim()).slice(-3).join(' | ') || 'the simulator produced no output', { netlistPath: p });
    }
    const plot = parseRaw(reply.raw as Uint8Array);
    return {
      scale: plot.names[0],
      names: plot.names,
      vectors: plot.vectors,
      points: plot.points,
      engine: this.id,
      cached: false,
      elapsedMs: performance.now() - t0,
    };
  }

  /** Reads files from the engine's virtual file system (the bundled model cards). */
  async readFiles(names: string[]): Promise<{ name: string; content: string }[]> {
    const reply = await this.pool.submit({ type: 'read', files: names }, 60_000);
    if (!reply.ok) throw new CodesignError(`could not read ${names.join(', ')} from the wasm engine: ${reply.error}`);
    return reply.files as { name: string; content: string }[];
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
