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
 * So a run folder names its simulator process (recordChild), or a launcher's folder its process
 * group (the shell that starts an engine's simulators, and they), and the exit hook kills those
 * still running, then moves the folder aside (what a worker thread creates in it after that
 * fails) and removes it.
 */
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VAR = 'CODESIGN_SCRATCH';
/** The file of a run folder that names its process (recordChild). */
export const PID_FILE = 'child.pid';
/** The file of a folder that names a process group (recordChild with `group`): a simulator launcher and its runs. */
export const GROUP_FILE = 'group.pid';
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
      // Worker threads run on while this hook does, and one could still make a folder or write a
      // file into the folder being removed. Moved aside first, the folder is gone by its name:
      // what they start after this fails (their process is ending), what is left goes with it.
      let doomed = dir;
      try {
        renameSync(dir, (doomed = `${dir}.exiting`));
      } catch {
        doomed = dir;
      }
      rmSync(doomed, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    } catch {
      // An exit hook must not throw; what is left is in the system's temporary folder.
    }
  });
  return dir;
}

/**
 * Notes the process a run folder (a folder directly in the scratch folder) is for, so that an
 * exit stops it; `group`: the process leads a process group (a detached launcher shell), and
 * the whole group is stopped.
 */
export function recordChild(runDir: string, pid: number | undefined, group = false): void {
  if (pid !== undefined) writeFileSync(join(runDir, group ? GROUP_FILE : PID_FILE), String(pid));
}

/** Kills the recorded processes (and groups) that are still this process's children. */
function stopChildren(dir: string): void {
  for (const entry of readdirSync(dir)) {
    for (const [file, target] of [[PID_FILE, 1], [GROUP_FILE, -1]] as const) {
      let pid: number;
      try {
        pid = Number(readFileSync(join(dir, entry, file), 'utf8'));
        // The fourth field of /proc/<pid>/stat is the parent's id: a number reused since is not ours.
        const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
        if (parent !== process.pid) continue;
      } catch {
        continue; // no record, or the process has ended (or no /proc)
      }
      try {
        process.kill(target * pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
  }
}
