import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Writes a file so that readers see the old content or the new, never a partial one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
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
