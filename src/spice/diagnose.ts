import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvergenceError, NetlistError, type NetlistLocation } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import type { SimJob } from './types.js';

/** Lines in simulator output that mean the run failed. */
const FATAL = /error|aborted|not parsed|timestep too small|iteration limit|no convergence|singular matrix|gmin stepping failed|source stepping failed/i;
const CONVERGENCE = /timestep too small|iteration limit|no convergence|without convergence|stepping failed|transient op failed|could not be simulated/i;
/** Notes ngspice prints while it is still succeeding (gmin/source stepping progress). */
const BENIGN = /^(note:|trying gmin|supplies reduced|warning: further gmin|warning: singular matrix|warning: dynamic gmin stepping failed|warning: true gmin stepping failed|warning: source stepping failed)/i;

export function defaultFailDir(): string {
  return join(tmpdir(), 'codesign', 'failed');
}

/**
 * Saves the netlist of a failed run (unless it already lives on disk) and returns its path. A
 * fail-fast run's failure is expected by its caller, who solves the deck another way: its
 * netlist (MBs for an MNIST layer) is not saved.
 */
export function saveFailedNetlist(job: SimJob, failDir = defaultFailDir()): string {
  if (job.path) return job.path;
  if (job.failFast) return `(fail-fast attempt ${job.label ?? 'netlist'}, not saved)`;
  mkdirSync(failDir, { recursive: true });
  const safe = (job.label ?? 'netlist').replace(/[^A-Za-z0-9_.-]+/g, '_');
  const p = join(failDir, `${safe}-${sha256(job.netlist).slice(0, 12)}.cir`);
  writeFileSync(p, job.netlist);
  return p;
}

/** Finds the 1-based line of the netlist that the simulator quoted. */
function locateLine(netlist: string, quoted: string | undefined, reported: number | undefined): { line?: number; lineText?: string } {
  const lines = netlist.split('\n');
  if (quoted) {
    const q = quoted.trim().toLowerCase();
    const i = lines.findIndex((l) => l.trim().toLowerCase() === q);
    if (i >= 0) return { line: i + 1, lineText: lines[i] };
    const inst = q.split(/\s+/)[0];
    const j = lines.findIndex((l) => l.trim().toLowerCase().split(/\s+/)[0] === inst);
    if (j >= 0) return { line: j + 1, lineText: lines[j] };
    return { lineText: quoted };
  }
  if (reported !== undefined && reported >= 1 && reported <= lines.length) return { line: reported, lineText: lines[reported - 1] };
  return {};
}

/**
 * Reads simulator messages (stderr lines) and returns the typed error they describe, or
 * undefined when nothing in them is fatal.
 */
export function diagnose(messages: string[], job: SimJob, failDir?: string): NetlistError | ConvergenceError | undefined {
  const lines = messages.map((l) => l.replace(/\s+$/, '')).filter((l) => l.trim() !== '');
  const fatal = lines.filter((l) => FATAL.test(l) && !BENIGN.test(l.trim()));
  if (fatal.length === 0) return undefined;
  const loc = (quoted?: string, reported?: number): NetlistLocation => ({
    netlistPath: saveFailedNetlist(job, failDir),
    ...locateLine(job.netlist, quoted, reported),
  });
  const conv = lines.find((l) => CONVERGENCE.test(l) && !BENIGN.test(l.trim()));
  const errLine = lines.findIndex((l) => /error on line (\d+)/i.test(l));
  if (errLine >= 0) {
    const n = Number(/error on line (\d+)/i.exec(lines[errLine])![1]);
    const quoted = lines[errLine + 1];
    const why = lines.slice(errLine + 2).find((l) => !/simulation interrupted|^\s*$/i.test(l))?.trim() ?? fatal[0].trim();
    return new NetlistError(why, loc(quoted, n));
  }
  if (conv) {
    const node = /trouble with node "?([^"\s]+)"?/i.exec(lines.join('\n'))?.[1];
    return new ConvergenceError(conv.trim() + (node ? ` (trouble with node ${node})` : ''), loc());
  }
  // Other parse errors quote an instance ("unknown subckt: x1 a b foo"): find its line.
  const first = fatal[0].trim();
  const quotedInst = /:\s*([a-z]\S*\s+\S+.*)$/i.exec(first)?.[1];
  return new NetlistError(first, loc(quotedInst));
}

/** A deck must hold exactly one analysis: both engines return the first plot only. */
export function countAnalyses(netlist: string): number {
  // One scan of the text (an MNIST layer's deck is megabytes): a line's start, its leading blanks, then the analysis.
  return netlist.match(/(?:^|\n)[^\S\n]*\.(op|dc|tran|ac|noise|tf|sens|pz|disto)\b/gi)?.length ?? 0;
}
