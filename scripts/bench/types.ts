import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a benchmark hands back: a plain-text report, the same data for --json, and an exit code. */
export interface BenchResult {
  text: string;
  json: unknown;
  exitCode: number;
}

/** Progress goes to stderr so that stdout holds only the report (or the JSON). */
export function progress(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Left-aligned first column, right-aligned others: numbers line up. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

/** Share of all cores busy over a short sample, from the kernel's per-core time counters. */
export async function busyShare(ms = 1000): Promise<number> {
  const sample = () =>
    cpus().reduce(
      ([idle, total], { times: t }) => [idle + t.idle, total + t.idle + t.user + t.nice + t.sys + t.irq],
      [0, 0],
    );
  const [i0, t0] = sample();
  await sleep(ms);
  const [i1, t1] = sample();
  return t1 > t0 ? 1 - (i1 - i0) / (t1 - t0) : 0;
}

/**
 * CPU seconds of this process and its finished children (native ngspice runs), from
 * /proc/self/stat (clock ticks of 10 ms): load-independent where wall time is not. Node's own
 * CPU time where /proc is missing.
 */
export function cpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the command name.
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
}

/** CPU seconds of this process's finished children alone (native ngspice runs), from /proc/self/stat; 0 where /proc is missing. */
export function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}
