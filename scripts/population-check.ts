/**
 * How close virtual dies come to a characterized die: for each weight layer, the variance
 * of ln g (bit 4, positive sign) over all synapses and over row means, and the correlation of a
 * row's mean with its presynaptic soma's ln a; the hidden somas' ln a spread. The characterized
 * die first, then `--virtual N` dies sampled from the population fitted to the run folders.
 *
 *   npx tsx scripts/population-check.ts --virtual 3 runs/mnist-1
 */
import { parseArgs } from 'node:util';
import { fitPopulation, readModels, sampleDie, type DieModels } from '../src/index.js';

const { values: v, positionals: runs } = parseArgs({ allowPositionals: true, options: { virtual: { type: 'string', default: '3' }, seed: { type: 'string', default: '1' } } });
const dies = runs.map((r) => readModels(r));
const pop = fitPopulation(dies);
const variance = (x: number[]) => {
  const mu = x.reduce((a, b) => a + b, 0) / x.length;
  return x.reduce((a, b) => a + (b - mu) ** 2, 0) / x.length;
};
function stats(m: DieModels, label: string): void {
  const layers = m.synapses.map((w, k) => {
    const R = w.rows, C = w.cols, g = (i: number, j: number) => Math.log(w.gain_pos[(i * C + j) * 3]);
    const all: number[] = [], rows: number[] = [];
    for (let i = 0; i < R; i++) {
      let s = 0;
      for (let j = 0; j < C; j++) all.push(g(i, j)), (s += g(i, j));
      rows.push(s / C);
    }
    const a = m.somas[k].a.map(Math.log), ma = a.reduce((p, q) => p + q, 0) / R, mr = rows.reduce((p, q) => p + q, 0) / R;
    const corr = a.reduce((s, x, i) => s + (x - ma) * (rows[i] - mr), 0) / R / Math.sqrt(variance(a) * variance(rows));
    return `layer ${k}: var ln g+4 ${variance(all).toFixed(4)}, row means ${variance(rows).toFixed(4)} (independent synapses: ${(variance(all) / C).toFixed(4)}), corr(ln a, row) ${corr.toFixed(2)}`;
  });
  console.log(`${label}: ${layers.join('; ')}; hidden somas' ln a std ${Math.sqrt(variance(m.somas[1].a.map(Math.log))).toFixed(3)}`);
}
for (const d of dies) stats(d.models, `die ${d.models.die_seed}`);
for (let i = 0; i < Number(v.virtual); i++) stats(sampleDie(pop, Number(v.seed), i), `virtual ${i}`);
const r2 = (x: number) => x.toFixed(2);
console.log(`fitted: corr(ln a, t) per soma layer ${pop.somas.map((c) => r2(c.correlation[0][1])).join(', ')}`);
pop.synapses.forEach((c, k) => console.log(`fitted: weight layer ${k} residuals, corr(bits 4-2, 4-1, 2-1) positive ${[[0, 1], [0, 2], [1, 2]].map(([a, b]) => r2(c.correlation[a][b])).join(', ')}, negative ${[[3, 4], [3, 5], [4, 5]].map(([a, b]) => r2(c.correlation[a][b])).join(', ')}, across signs (4+, 4-) ${r2(c.correlation[0][3])}`));
pop.somas.slice(0, -1).forEach((c, k) => console.log(`fitted: soma layer ${k} row effects, corr(bits 4-2, 4-1) positive ${r2(c.correlation[2][3])}, ${r2(c.correlation[2][4])}; corr(row g+4, row g-4) ${r2(c.correlation[2][5])}`));
