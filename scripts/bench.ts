/**
 * Benchmarks: `npm run bench -- <name> [--json]`. Each prints a table of numbers measured
 * in this run, with ratios against a baseline measured in the same run.
 */
const BENCHMARKS: Record<string, { describe: string; load: () => Promise<{ run(opts: { json?: boolean }): Promise<void> }> }> = {
  spice: { describe: 'engine start-up and DC throughput: wasm 1 worker vs pool vs native ngspice', load: () => import('./bench/spice.js') },
  characterize: { describe: 'devices/s characterizing the whole MNIST 196-50-10 die, wasm pool vs native', load: () => import('./bench/characterize.js') },
};

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('--'));
const json = args.includes('--json');
if (names.length === 0 || names.some((n) => !(n in BENCHMARKS))) {
  const bad = names.filter((n) => !(n in BENCHMARKS));
  if (bad.length) console.error(`unknown benchmark: ${bad.join(', ')}`);
  console.error(`usage: npm run bench -- <name> [--json]\n${Object.entries(BENCHMARKS).map(([k, v]) => `  ${k.padEnd(14)}${v.describe}`).join('\n')}`);
  process.exit(2);
}
for (const n of names) await (await BENCHMARKS[n].load()).run({ json });
