/**
 * One scratch folder per process for files that live only while a run does (native ngspice's
 * decks and raw files). A run removes its own folder when it ends; what a stopped process
 * leaves (Ctrl-C, a study killed by its scheduler) goes with the whole scratch folder when the
 * process exits (the CLI turns SIGINT and SIGTERM into an exit, see exitOnSignals). Worker
 * threads cannot do that themselves: a process's exit ends them without their exit hooks. So
 * the main thread makes the folder before it starts a worker (spawnModuleWorker) and passes it
 * on in the environment, tagged with the process id so that a child process makes its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VAR = 'CODESIGN_SCRATCH';
let own: string | undefined;

/** This process's scratch folder (made on first use; removed at exit by the thread that made it). */
export function processScratch(): string {
  if (own) return own;
  const inherited = process.env[VAR];
  const sep = inherited?.indexOf(':') ?? -1;
  if (inherited && sep > 0 && Number(inherited.slice(0, sep)) === process.pid) return (own = inherited.slice(sep + 1));
  const dir = mkdtempSync(join(tmpdir(), `codesign-${process.pid}-`));
  own = dir;
  process.env[VAR] = `${process.pid}:${dir}`;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
