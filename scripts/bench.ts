/**
 * Benchmarks: `tsx scripts/bench.ts <name>... [--json] [--OPTION VALUE]...`. Each benchmark is a
 * module under scripts/bench/, loaded only when asked for so one benchmark's imports cost the
 * others nothing; the options a benchmark takes (OPTIONS) reach it in `argv`.
 */
import type { BenchResult } from './bench/types.js';

/** A benchmark returns its report for this script to print. */
type BenchModule = { run(opts: { json: boolean; argv?: string[] }): Promise<BenchResult> };

const BENCHMARKS: Record<string, { description: string; load: () => Promise<BenchModule> }> = {
  spice: { description: 'simulator start-up and throughput: wasm vs native ngspice, 1 worker vs all cores', load: () => import('./bench/spice.js') },
  die: { description: 'one MNIST die without SPICE verification: characterize, fit, train with baselines (native ngspice), against the issue #16 reference and the plain characterization sweep', load: () => import('./bench/die.js') },
  layered: { description: 'layered SPICE verification of MNIST digits: reference solver vs the default, same digits in one run (s/digit, Newton iterations, class-current difference)', load: () => import('./bench/layered.js') },
  characterize: { description: 'devices/s characterizing the whole MNIST 196-50-10 die, wasm pool vs native', load: () => import('./bench/characterize.js') },
  distributed: { description: 'study throughput (dies/s) of a small Iris yield: local worker-thread pool vs 1 and 2 codesign worker processes through Redis', load: () => import('./bench/distributed.js') },
  transient: { description: 'full-mode transient: largest time step and tolerances vs settling, energy and window-end accuracy, against a 10x finer reference', load: () => import('./bench/transient.js') },
  review: { description: 'tapeout review: review folder and netgen LVS time on Iris and MNIST; the review netlist at nominal against the simulation netlist with mismatch off', load: () => import('./bench/review.js') },
  energy: { description: 'MNIST die 1, first 20 test digits (--samples N, --run DIR): median energy per inference and settling from the reduced-network estimate vs the whole-network transient, and their CPU cost', load: () => import('./bench/energy.js') },
  yield: { description: 'a 20-die MNIST yield on fitted-model accuracy (--dies N), native ngspice, no verification: wall time against the issue #16 target of 8 minutes', load: () => import('./bench/yield.js') },
  train: { description: 'trainer samples/s (forward, backward, update) on 196-50-10 and 196-100-10 against a numpy reference of the same step; three trainings on 1 vs all threads', load: () => import('./bench/train.js') },
};

/** Options that take a value (energy: --samples N, --run DIR; yield: --dies N). */
const OPTIONS = ['--samples', '--run', '--dies'];

function usage(): string {
  const names = Object.entries(BENCHMARKS).map(([n, b]) => `  ${n.padEnd(14)}${b.description}`);
  return ['usage: npm run bench -- <name>... [--json] [--samples N] [--run DIR] [--dies N]', 'benchmarks:', ...names].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  // Options with a value, passed on to the benchmarks.
  const options: string[] = [];
  const rest = argv.filter((a, i) => {
    if (OPTIONS.includes(a)) return (options.push(a, argv[i + 1] ?? ''), false);
    return !(i > 0 && OPTIONS.includes(argv[i - 1]));
  });
  const names = rest.filter((a) => !a.startsWith('-'));
  const unknown = [...names.filter((n) => !(n in BENCHMARKS)), ...rest.filter((a) => a.startsWith('-') && a !== '--json')];
  if (names.length === 0 || unknown.length > 0) {
    console.error(`${unknown.length ? `unknown: ${unknown.join(', ')}\n` : ''}${usage()}`);
    return 2;
  }
  const results: Record<string, BenchResult> = {};
  for (const name of names) results[name] = await (await BENCHMARKS[name].load()).run({ json, argv: options });
  const reports = Object.entries(results);
  if (json) console.log(JSON.stringify(Object.fromEntries(reports.map(([n, r]) => [n, r.json])), null, 2));
  else console.log(reports.map(([, r]) => r.text).join('\n\n'));
  return Math.max(...reports.map(([, r]) => r.exitCode));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = Math.max(code, Number(process.exitCode ?? 0));
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  },
);
