/**
 * The yield-against-spec curve of a yield study: for every accuracy threshold, the share of
 * dies whose network meets it, one line per strategy (naive, robust, aware) with its 95 %
 * Wilson band, and the per-die table under it.
 */
import { wilson } from '../study/stats.js';
import { num } from './folder.js';
import { htmlTable } from './html.js';
import { HEIGHT, pct, WIDTH, type Outcome } from './plot.js';
import type { StudyData } from './study-plots.js';

const COLORS: Record<string, string> = { naive: '#999999', robust: '#e67e22', aware: '#2e86c1' };

/** Yield (share of dies at or above each spec) of every strategy the study judged. */
export function yieldCurve(d: StudyData): Outcome {
  const name = 'yield-curve', title = 'Yield against spec: share of dies that meet each accuracy threshold';
  if (!d.dies) return { name, title, reason: `${d.f.why('yield.json')} or yield.csv` };
  const spice = d.yieldFile?.accuracy_source === 'spice';
  const strategies = ['naive', 'robust', 'aware'].filter((s) => d.dies!.some((r) => num(r[s]) !== undefined));
  const column = (s: string) => (spice ? { naive: 'spice_naive', robust: 'spice_robust', aware: 'spice' }[s]! : s);
  const good = d.dies.filter((r) => r.ok !== false);
  const acc = Object.fromEntries(strategies.map((s) => [s, good.map((r) => num(r[column(s)])).filter((v): v is number => v !== undefined)]));
  const all = Object.values(acc).flat();
  if (!all.length) return { name, title, reason: 'no die with an accuracy of any strategy' };
  const lo = Math.max(0, Math.floor(100 * Math.min(...all)) / 100 - 0.01), steps = 200;
  const values = strategies.flatMap((s) =>
    Array.from({ length: steps + 1 }, (_, k) => {
      const spec = lo + ((1 - lo) * k) / steps, pass = acc[s].filter((a) => a >= spec - 1e-12).length, w = wilson(pass, acc[s].length);
      return { strategy: s, spec: 100 * spec, yield: 100 * w.p, lo: 100 * w.lo, hi: 100 * w.hi };
    }),
  );
  const spec = num(d.yieldFile?.spec);
  const x = { field: 'spec', type: 'quantitative', title: 'accuracy spec (%)', scale: { zero: false } } as const;
  const color = { field: 'strategy', type: 'nominal', title: null, scale: { domain: strategies, range: strategies.map((s) => COLORS[s]) } } as const;
  const dies = (s: string) => `${s} ${acc[s].length} dies`;
  const cols = ['die', ...strategies.map((s) => `${s} (${spice ? 'SPICE' : 'model'})`)];
  const rows = good.map((r) => [String(r.die_seed), ...strategies.map((s) => (num(r[column(s)]) === undefined ? '-' : pct(num(r[column(s)])!)))]);
  return {
    name,
    title,
    caption:
      `${spice ? 'Layered SPICE' : 'Fitted-model'} test accuracy of each die (yield.${d.yieldFile ? 'json' : 'csv'}): ${strategies.map(dies).join(', ')}; band: 95 % Wilson interval. ` +
      (strategies.includes('robust') ? 'Robust: one code set trained on other dies, judged only on these held-out dies. ' : '') +
      (spec !== undefined ? `The study's spec ${pct(spec)} is the red line.` : ''),
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        { data: { values }, mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'yield (%)', scale: { domain: [0, 100] } }, y2: { field: 'hi' }, color } },
        { data: { values }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 }, encoding: { x, y: { field: 'yield', type: 'quantitative' }, color } },
        ...(spec !== undefined ? [{ data: { values: [{ spec: 100 * spec }] }, mark: { type: 'rule' as const, color: '#c0392b', strokeWidth: 2 }, encoding: { x: { field: 'spec', type: 'quantitative' as const } } }] : []),
      ],
    },
    html: `<div class="wide">${htmlTable(cols, rows)}</div>`,
  };
}
