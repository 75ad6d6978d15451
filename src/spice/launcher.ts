/**
 * Starts simulator processes through a small shell kept for the engine's lifetime. Node's
 * spawn forks the whole node process first, and the fork's cost grows with its memory: 6-8 CPU
 * ms per spawn from a small node process, 30 ms from one holding 480 MB, which a yield study's
 * process exceeds (a die starts 71 ngspice processes). The shell forks for a few hundred
 * kilobytes instead.
 *
 * Protocol: one tab-separated request line per run (id, working folder, SPICE_SCRIPTS, stdout
 * file, stderr file, binary, arguments); the shell answers `pid <id> <pid>` once the process
 * runs and `done <id> <exit code>` when it has ended (128 + the signal when killed).
 *
 * The shell leads a process group of its own (detached), which its runs join, and a folder in
 * the process's scratch folder names that group: a process that exits (a stopped study) kills
 * the group, so no simulator outlives it, even one whose pid has not come back yet.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processScratch, recordChild } from '../util/scratch.js';

const SCRIPT = `
tab=$(printf '\\t')
while IFS="$tab" read -r id cwd scripts out err bin a1 a2 a3 a4; do
  (
    cd "$cwd" || { echo "done $id 126"; exit 0; }
    SPICE_SCRIPTS="$scripts" SPICE_ASCIIRAWFILE=0 "$bin" "$a1" "$a2" "$a3" "$a4" </dev/null >"$out" 2>"$err" &
    p=$!
    echo "pid $id $p"
    wait "$p"
    echo "done $id $?"
  ) &
done
wait
`;

export interface LaunchRequest {
  cwd: string;
  /** SPICE_SCRIPTS of the run (its spinit folder). */
  scripts: string;
  stdoutFile: string;
  stderrFile: string;
  binary: string;
  /** Exactly four arguments (`-b -r <raw> <deck>`). */
  args: readonly [string, string, string, string];
  timeoutMs: number;
}

export interface LaunchResult {
  exitCode: number;
  timedOut: boolean;
}

interface Pending {
  timeoutMs: number;
  pid?: number;
  timedOut: boolean;
  timer?: NodeJS.Timeout;
  resolve: (r: LaunchResult) => void;
  reject: (e: Error) => void;
}

/** Whether a request's fields can travel in one tab-separated line. */
export function launchable(req: Pick<LaunchRequest, 'cwd' | 'scripts' | 'stdoutFile' | 'stderrFile' | 'binary' | 'args'>): boolean {
  return [req.cwd, req.scripts, req.stdoutFile, req.stderrFile, req.binary, ...req.args].every((f) => f.length > 0 && !/[\t\n\r]/.test(f));
}

export class Launcher {
  private shell?: ChildProcessWithoutNullStreams;
  private pending = new Map<number, Pending>();
  private next = 1;

  run(req: LaunchRequest): Promise<LaunchResult> {
    const shell = (this.shell ??= this.start());
    const id = this.next++;
    return new Promise<LaunchResult>((resolve, reject) => {
      const p: Pending = { timeoutMs: req.timeoutMs, timedOut: false, resolve, reject };
      this.pending.set(id, p);
      this.hold();
      shell.stdin.write([id, req.cwd, req.scripts, req.stdoutFile, req.stderrFile, req.binary, ...req.args].join('\t') + '\n');
    });
  }

  /** Keeps node alive while runs are going, and only then (an idle shell must not hold a process open). */
  private hold(): void {
    const on = this.pending.size > 0;
    const shell = this.shell;
    if (!shell) return;
    for (const h of [shell, shell.stdout, shell.stdin] as unknown as { ref?: () => void; unref?: () => void }[]) (on ? h.ref : h.unref)?.call(h);
  }

  /**
   * Ends the shell, killing runs still going, and resolves once it has exited. The shell waits
   * for its runs before it exits, so once node has reaped it the simulators' CPU time is in
   * this process's children's time (what the benches read), as with a direct child.
   */
  async close(): Promise<void> {
    const shell = this.shell;
    if (!shell) return;
    this.shell = undefined;
    for (const p of this.pending.values()) if (p.pid) kill(p.pid, 'SIGKILL');
    for (const h of [shell, shell.stdout] as unknown as { ref?: () => void }[]) h.ref?.call(h); // the wait for its exit keeps node alive
    const exited = shell.exitCode !== null || shell.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => shell.once('exit', () => r()));
    shell.stdin.end();
    await exited;
  }

  private start(): ChildProcessWithoutNullStreams {
    // The folder naming the shell's process group (for the exit hook) goes once the shell has exited.
    const home = mkdtempSync(join(processScratch(), 'launcher-'));
    const shell = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    recordChild(home, shell.pid, true);
    shell.stdin.on('error', () => undefined); // a shell that has ended: its 'exit' rejects the runs
    (shell.stderr as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: shell.stdout }).on('line', (line) => this.answer(line));
    shell.stderr.resume();
    const fail = (why: string) => {
      if (this.shell === shell) this.shell = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`the simulator launcher (/bin/sh) ${why}`));
        this.pending.delete(id);
      }
    };
    shell.on('error', (e) => fail(`could not run: ${e.message}`));
    shell.on('exit', (code, signal) => {
      rmSync(home, { recursive: true, force: true });
      fail(`ended (${signal ?? code}) with runs still going`);
    });
    return shell;
  }

  private answer(line: string): void {
    const [kind, idText, value] = line.split(' ');
    const id = Number(idText);
    const p = this.pending.get(id);
    if (!p) return;
    const n = Number(value);
    if (kind === 'pid') {
      p.pid = n;
      p.timer = setTimeout(() => {
        p.timedOut = true;
        kill(n, 'SIGTERM');
        setTimeout(() => kill(n, 'SIGKILL'), 2000).unref();
      }, p.timeoutMs);
      p.timer.unref();
    } else if (kind === 'done') {
      clearTimeout(p.timer);
      this.pending.delete(id);
      this.hold();
      p.resolve({ exitCode: n, timedOut: p.timedOut });
    }
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already ended
  }
}
