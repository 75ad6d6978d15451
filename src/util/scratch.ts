/**
 * One scratch folder per process for files that live only while a run does (native ngspice's
 * decks and raw files). A run removes its own folder when it ends; what a stopped process
 * leaves (Ctrl-C, a study killed by its scheduler) goes with the whole scratch folder when the
 * process exits (the CLI turns SIGINT and SIGTERM into an exit, see exitOnSignals). Worker
 * threads cannot do that themselves: a process's exit ends them without their exit hooks. So
 * the main thread makes the folder before it starts a worker (spawnModuleWorker) and passes it
 * on in the environment, tagged with the process id so that a child process makes its own.
 *
 * A simulator started by a worker thread outlives the process (its exit hooks do not run), and
 * went on writing into the folder being removed (a stopped study left it behind now and then).
 * So a run folder names its simulator process (recordChild), and the exit hook kills those
 * still running before it removes the folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VAR = 'CODESIGN_SCRATCH';
/** The file of a run folder that names its process (recordChild). */
export const PID_FILE = 'child.pid';
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
  process.once('exit', () => {
    try {
      stopChildren(dir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    } catch {
      // An exit hook must not throw; what is left is in the system's temporary folder.
    }
  });
  return dir;
}

/** Notes the process a run folder (a folder directly in the scratch folder) is for, so that an exit stops it. */
export function recordChild(runDir: string, pid: number | undefined): void {
  if (pid !== undefined) writeFileSync(join(runDir, PID_FILE), String(pid));
}

/** The parent's id of a process (the fourth field of /proc/<pid>/stat). */
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);

/** Kills the recorded processes that are still this process's descendants (a simulator is a grandchild through the launcher shell). */
function stopChildren(dir: string): void {
  for (const entry of readdirSync(dir)) {
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, entry, PID_FILE), 'utf8'));
      // A number reused since by another process is not ours.
      let ancestor = pid;
      for (let k = 0; k < 3 && ancestor > 1 && ancestor !== process.pid; k++) ancestor = parentOf(ancestor);
      if (ancestor !== process.pid) continue;
    } catch {
      continue; // no record, or the process has ended (or no /proc)
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
}
