import { num, obj, pick, type Folder, type Row } from './folder.js';
import { htmlTable } from './html.js';
import { eng, HEIGHT, histogram, pct, WIDTH, type Outcome } from './plot.js';

/** What a study folder holds: the sweep table (one row per grid point) and the yield file with its per-die rows. */
export interface StudyData {
  f: Folder;
  sweep?: Row[];
  sweepFile?: Record<string, unknown>;
  yieldFile?: Record<string, unknown>;
  dies?: Row[];
}

/** The cost axes of a Pareto plot, in the order they are tried. */
const COSTS = [
  { column: 'area_m2', front: 'pareto_area', label: 'active area (µm²)', scale: 1e12, plot: 'pareto' },
  { column: 'energy_per_inference_j', front: 'pareto_energy', label: 'energy per inference (pJ)', scale: 1e12, plot: 'pareto-energy' },
] as const;

const finite = (rows: Row[], col: string) => rows.filter((r) => num(r[col]) !== undefined);

const keysOf = (d: StudyData) => (Array.isArray(d.sweepFile?.keys) ? (d.sweepFile!.keys as unknown[]) : []).filter((k): k is string => typeof k === 'string');
const pointLabel = (d: StudyData) => {
  const keys = keysOf(d);
  return (r: Row) => (keys.length ? keys.map((k) => `${k}=${r[k]}`).join(' ') : String(r.point ?? ''));
};
/** The sweep's successful dies (sweep.json per_die). */
const sweepDies = (d: StudyData): Row[] => (Array.isArray(d.sweepFile?.per_die) ? (d.sweepFile!.per_die as unknown[]).filter((r): r is Row => !!obj(r) && (r as Row).ok !== false) : []);

/** Area (and energy) against aware accuracy over the sweep's points, the Pareto front highlighted, the spread over dies shown. */
export function pareto(d: StudyData, which: 0 | 1): Outcome {
  const cost = COSTS[which];
  const name = cost.plot, title = `Sweep: ${cost.label.replace(/ \(.*/, '')} against accuracy, Pareto front`;
  if (!d.sweep) return { name, title, reason: `${d.f.why('sweep.json')} or sweep.csv` };
  const rows = finite(finite(d.sweep, cost.column), 'aware_mean');
  if (!rows.length) return { name, title, reason: `the sweep has no point with both ${cost.column} and aware_mean` };
  const label = pointLabel(d);
  const onFront = (r: Row) => r[cost.front] === true || (r[cost.front] === undefined && r.pareto === true);
  const values = rows.map((r) => {
    const acc = 100 * num(r.aware_mean)!, sd = 100 * (num(r.aware_std) ?? 0);
    const x = num(r[cost.column])! * cost.scale, xsd = (num(r[`${cost.column}_std`]) ?? 0) * cost.scale;
    return { x, xlo: x - xsd, xhi: x + xsd, aware: acc, lo: acc - sd, hi: acc + sd, naive: num(r.naive_mean) !== undefined ? 100 * num(r.naive_mean)! : null, front: onFront(r) ? 'Pareto front' : 'dominated', label: label(r) };
  });
  // Each die as its own point: its aware accuracy at the point's area, or at its own energy.
  const byPoint = new Map(rows.map((r) => [String(r.point), r]));
  const dies = sweepDies(d).flatMap((r) => {
    const p = byPoint.get(String(r.point));
    const x = p && (cost.column === 'area_m2' ? num(p.area_m2) : num(r[cost.column]));
    const y = num(r.aware);
    return x !== undefined && y !== undefined ? [{ x: x * cost.scale, aware: 100 * y }] : [];
  });
  const front = values.filter((v) => v.front === 'Pareto front').sort((a, b) => a.x - b.x);
  const withXsd = values.filter((v) => v.xhi > v.xlo);
  const x = { field: 'x', type: 'quantitative', title: cost.label, scale: { zero: false, padding: 16 } } as const;
  const y = { type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, padding: 16 } } as const;
  return {
    name,
    title,
    caption:
      `${rows.length} sweep points (sweep.${d.sweepFile ? 'json' : 'csv'}): mean accuracy of the aware networks over the dies (bars: ±1 std${withXsd.length ? ` in accuracy and in ${cost.label.replace(/ \(.*/, '')}` : ''}), ` +
      `${dies.length ? `each die's aware network as a small ring (${dies.length} dies), ` : ''}the naive networks' mean as grey rings; ` +
      `${front.length} point(s) on the Pareto front (no other point is both cheaper and more accurate), joined by the line.`,
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        { data: { values: front }, mark: { type: 'line', color: '#c0392b', strokeWidth: 1.5 }, encoding: { x, y: { ...y, field: 'aware' } } },
        { data: { values }, mark: { type: 'rule', color: '#999' }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } } },
        ...(withXsd.length ? [{ data: { values: withXsd }, mark: { type: 'rule' as const, color: '#999' }, encoding: { x: { ...x, field: 'xlo' }, x2: { field: 'xhi' }, y: { ...y, field: 'aware' } } }] : []),
        ...(dies.length ? [{ data: { values: dies }, mark: { type: 'point' as const, color: '#5b8db8', size: 18, opacity: 0.6 }, encoding: { x, y: { ...y, field: 'aware' } } }] : []),
        { data: { values: values.filter((v) => v.naive !== null) }, mark: { type: 'point', color: '#aaa', size: 40 }, encoding: { x, y: { ...y, field: 'naive' } } },
        {
          data: { values },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y: { ...y, field: 'aware' }, color: { field: 'front', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['#c0392b', '#5b8db8'] } } },
        },
        { data: { values: front }, mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 }, encoding: { x, y: { ...y, field: 'aware' }, text: { field: 'label' } } },
      ],
    },
  };
}

/** Per point: aware minus naive and aware minus ideal quantized (mean ± std over the dies, and the worst die), as a plot and a table. */
export function sweepDeltas(d: StudyData): Outcome {
  const name = 'sweep-deltas', title = 'Sweep: aware minus naive and aware minus ideal quantized, per point';
  if (!d.sweep) return { name, title, reason: `${d.f.why('sweep.json')} or sweep.csv` };
  const label = pointLabel(d);
  const dies = sweepDies(d);
  const series = [
    { key: 'aware_minus_naive', other: 'naive', name: 'aware − naive' },
    { key: 'aware_minus_ideal_quantized', other: 'ideal_quantized', name: 'aware − ideal quantized' },
  ] as const;
  const rows = d.sweep.filter((r) => num(r.aware_mean) !== undefined);
  // Older sweeps have only the means: their difference, no spread.
  const stat = (r: Row, s: (typeof series)[number]) => {
    const m = num(r[`${s.key}_mean`]) ?? (num(r[`${s.other}_mean`]) !== undefined ? num(r.aware_mean)! - num(r[`${s.other}_mean`])! : undefined);
    const worst = dies.filter((x) => String(x.point) === String(r.point) && num(x.aware) !== undefined && num(x[s.other]) !== undefined).map((x) => num(x.aware)! - num(x[s.other])!);
    return { mean: m, std: num(r[`${s.key}_std`]), worst: worst.length ? Math.min(...worst) : undefined };
  };
  const values = rows.flatMap((r) =>
    series.flatMap((s) => {
      const v = stat(r, s);
      if (v.mean === undefined) return [];
      const sd = v.std ?? 0;
      return [{ point: label(r), series: s.name, mean: 100 * v.mean, lo: 100 * (v.mean - sd), hi: 100 * (v.mean + sd) }];
    }),
  );
  if (!values.length) return { name, title, reason: 'the sweep has no point with aware and naive or ideal quantized accuracies' };
  const signed = (x: number | undefined) => (x === undefined ? '' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`);
  const cell = (r: Row, s: (typeof series)[number]) => {
    const v = stat(r, s);
    return v.mean === undefined ? '' : `${signed(v.mean)}${v.std !== undefined ? ` ± ${(100 * v.std).toFixed(1)}` : ''}`;
  };
  const table = htmlTable(
    ['point', 'dies', 'aware − naive (points)', 'worst die', 'aware − ideal quantized (points)', 'worst die'],
    rows.map((r) => [label(r), String(r.dies ?? ''), cell(r, series[0]), signed(stat(r, series[0]).worst), cell(r, series[1]), signed(stat(r, series[1]).worst)]),
  );
  const yEnc = { field: 'point', type: 'nominal', title: null, sort: null } as const;
  const xEnc = { type: 'quantitative', title: 'difference in test accuracy (points)' } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series.map((s) => s.name), range: ['#2e86c1', '#c0392b'] } } as const;
  return {
    name,
    title,
    caption: `Fitted-model test accuracy of the aware networks minus the naive ones (the ideal codes on the same die) and minus the ideal quantized network (nominal devices), mean over each point's dies with ±1 std bars; the table adds the worst die. Right of the line: aware is better.`,
    spec: {
      width: WIDTH,
      height: Math.max(80, 24 * rows.length),
      layer: [
        { data: { values: [{ x: 0 }] }, mark: { type: 'rule', color: '#888', strokeDash: [3, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        { data: { values }, mark: { type: 'rule' }, encoding: { y: yEnc, yOffset: { field: 'series' }, x: { ...xEnc, field: 'lo' }, x2: { field: 'hi' }, color } },
        { data: { values }, mark: { type: 'point', filled: true, size: 50 }, encoding: { y: yEnc, yOffset: { field: 'series' }, x: { ...xEnc, field: 'mean' }, color } },
      ],
    },
    html: `<div class="wide">${table}</div>`,
  };
}

/** The sweep's rows as a table, every column it has. */
export function sweepTable(rows: Row[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (c: string, v: unknown) => {
    const x = num(v);
    if (x === undefined) return v === null || v === undefined ? '' : String(v);
    if (/_mean$|_std$/.test(c)) return pct(x);
    if (c.endsWith('_m2')) return `${Number((x * 1e12).toPrecision(4))} µm²`;
    const unit = /_j$/.test(c) ? 'J' : /_w$/.test(c) ? 'W' : /_s$/.test(c) ? 's' : undefined;
    return unit ? eng(x, unit) : String(Number(x.toPrecision(6)));
  };
  return `<div class="wide">${htmlTable(cols, rows.map((r) => cols.map((c) => cell(c, r[c]))))}</div>`;
}

/** Per-die accuracy of the naive and aware networks, with the spec line. */
export function yieldHistogram(d: StudyData): Outcome {
  const name = 'yield', title = 'Yield: per-die accuracy of the naive and aware networks';
  if (!d.dies) return { name, title, reason: `${d.f.why('yield.json')} or yield.csv` };
  const spice = d.yieldFile?.accuracy_source === 'spice';
  const column = { naive: spice ? 'spice_naive' : 'naive', aware: spice ? 'spice' : 'aware' };
  const good = d.dies.filter((r) => r.ok !== false);
  const acc = { naive: finite(good, column.naive).map((r) => num(r[column.naive])!), aware: finite(good, column.aware).map((r) => num(r[column.aware])!) };
  if (!acc.naive.length && !acc.aware.length) return { name, title, reason: `no die with a ${column.naive} or ${column.aware} accuracy` };
  const spec = num(d.yieldFile?.spec);
  const all = [...acc.naive, ...acc.aware, ...(spec !== undefined ? [spec] : [])];
  const lo = Math.min(...all), hi = Math.max(...all);
  const nBins = Math.min(25, Math.max(8, Math.ceil(Math.sqrt(all.length)) * 2));
  const values: Record<string, unknown>[] = (['naive', 'aware'] as const).flatMap((net) =>
    histogram(acc[net], lo, hi, nBins).map((b) => ({ network: net, x0: 100 * b.x0, x1: 100 * b.x1, count: b.count })),
  );
  const est = (net: string) => {
    const e = obj(d.yieldFile?.[net]);
    const y = num(e?.yield), l = num(e?.lo), h = num(e?.hi);
    return y === undefined ? undefined : `${net} ${pct(y)}${l !== undefined && h !== undefined ? ` (95 % interval ${pct(l)}..${pct(h)})` : ''}`;
  };
  const yields = [est('naive'), est('aware')].filter(Boolean);
  const failed = d.dies.length - good.length;
  return {
    name,
    title,
    caption:
      `${good.length} dies${failed ? ` (${failed} failed, not counted)` : ''}, ${spice ? 'layered SPICE' : 'fitted-model'} test accuracy of each die's naive and aware network (yield.${d.yieldFile ? 'json' : 'csv'}).` +
      (spec !== undefined ? ` Spec ${pct(spec)} (line)${yields.length ? `: yield ${yields.join(', ')}` : ''}.` : ' No spec in this folder.'),
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          data: { values },
          mark: { type: 'rect', opacity: 0.55, stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'x0', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
            x2: { field: 'x1' },
            y: { field: 'count', type: 'quantitative', title: 'dies', stack: null },
            color: { field: 'network', type: 'nominal', title: null, scale: { domain: ['naive', 'aware'], range: ['#999999', '#2e86c1'] } },
          },
        },
        ...(spec !== undefined ? [{ data: { values: [{ x: 100 * spec }] }, mark: { type: 'rule' as const, color: '#c0392b', strokeWidth: 2 }, encoding: { x: { field: 'x', type: 'quantitative' as const } } }] : []),
      ],
    },
  };
}

/** Header facts of a study: dataset, swept keys, dies. */
export function studyFacts(d: StudyData): [string, string][] {
  const out: [string, string][] = [];
  const s = d.sweepFile, y = d.yieldFile;
  const dataset = s?.dataset ?? y?.dataset;
  if (typeof dataset === 'string') out.push(['dataset', dataset]);
  if (Array.isArray(s?.keys)) out.push(['swept', (s!.keys as unknown[]).join(', ')]);
  if (d.sweep) out.push(['sweep points', String(d.sweep.length)]);
  if (Array.isArray(s?.seeds)) out.push(['dies per point', String((s!.seeds as unknown[]).length)]);
  if (d.dies) out.push(['yield dies', String(d.dies.length)]);
  const engine = pick(s ?? y, 'options', 'engine');
  if (typeof engine === 'string') out.push(['engine', engine]);
  return out;
}
