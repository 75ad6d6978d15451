/**
 * Worker threads running one of this package's modules: the compiled .js next to the caller
 * in dist/, or, running from the .ts sources (tests, tsx), the .ts module through a tsx
 * bootstrap (a worker does not inherit the parent's loader).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { processScratch } from './scratch.js';

/** A worker running `name` (without extension) from the folder of the module at `callerUrl` (its import.meta.url). */
export function spawnModuleWorker(callerUrl: string, name: string, opts: WorkerOptions = {}): Worker {
  processScratch(); // before the worker copies the environment: its runs' files then go where this thread removes them at exit
  const self = fileURLToPath(callerUrl);
  if (!self.endsWith('.ts')) return new Worker(join(dirname(self), `${name}.js`), opts);
  const require = createRequire(callerUrl);
  const tsxApi = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = pathToFileURL(join(dirname(self), `${name}.ts`)).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((t) => (t.register(), import(${JSON.stringify(entry)})));`, { ...opts, eval: true });
}
