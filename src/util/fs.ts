import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ConfigError } from './errors.js';

let writes = 0;
/** A temporary name next to `path`, unique to this process, thread and write (two writes of one file at once do not share it). */
const tmpName = (path: string) => `${path}.${process.pid}.${threadId}.${++writes}.tmp`;

/** Writes a file so that readers see the old content or the new, never a partial one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** writeFileAtomic for callers that cannot wait (a synchronous loader filling a cache). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Reads a JSON file of a run folder; a missing or broken file is a ConfigError naming it, with a hint. */
export function readRunJson(run: string, file: string, hint: string): unknown {
  const p = join(resolve(run), file);
  if (!existsSync(p)) throw new ConfigError(`${p} not found: ${hint}`);
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
}
