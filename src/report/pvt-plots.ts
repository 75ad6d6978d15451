/**
 * The operating-conditions section of a report (a `codesign pvt` folder: pvt.json or pvt.csv):
 * accuracy against temperature, one panel per supply and one line per code set (layered SPICE
 * solid, the condition's fitted models dashed); accuracy per corner at the run's temperature
 * and supply; the class currents' drift against temperature; the table of every condition.
 */
import { num, obj, studyRows, type Folder, type Row } from './folder.js';
import { htmlTable } from './html.js';
import { eng, HEIGHT, pct, WIDTH, type Outcome } from './plot.js';

/** What a pvt folder holds. */
export interface PvtData {
  f: Folder;
  file?: Record<string, unknown>;
  rows?: Row[];
}

export const PVT_FILES = ['pvt.json', 'pvt.csv'] as const;

export function readPvt(f: Folder): PvtData {
  return { f, file: obj(f.json('pvt.json')), rows: studyRows(f, 'pvt.json', 'rows', 'pvt.csv') };
}

const missing = (d: PvtData) => `${d.f.why('pvt.json')} or pvt.csv`;

/** Conditions of one supply and corner that span more than one temperature: the temperature curves. */
function temperatureRows(rows: Row[]): Row[] {
  const temps = new Map<string, Set<number>>();
  for (const r of rows) {
    const key = `${r.vdd}|${r.corner}`;
    if (!temps.has(key)) temps.set(key, new Set());
    temps.get(key)!.add(num(r.temperature)!);
  }
  return rows.filter((r) => num(r.temperature) !== undefined && temps.get(`${r.vdd}|${r.corner}`)!.size > 1);
}

/** Accuracy (SPICE and model) of every code set against temperature, one panel per supply (and corner, when several have temperature curves). */
export function pvtTemperature(d: PvtData): Outcome {
  const name = 'pvt-temperature', title = 'Operating conditions: accuracy against temperature, per supply';
  if (!d.rows) return { name, title, reason: missing(d) };
  const rows = temperatureRows(d.rows);
  if (!rows.length) return { name, title, reason: 'the study has one temperature per supply and corner: no temperature curve to draw (codesign pvt --temperature with several values)' };
  const corners = [...new Set(rows.map((r) => String(r.corner)))];
  const values = rows.flatMap((r) =>
    [['layered SPICE', r.spice_accuracy], ['model (whole test split)', r.model_accuracy]].flatMap(([measure, v]) =>
      num(v) === undefined ? [] : [{ temperature: num(r.temperature), accuracy: 100 * num(v)!, supply: `${r.vdd} V`, corner: String(r.corner), codes: String(r.code_set), measure }],
    ),
  );
  const supplies = [...new Set(values.map((v) => v.supply))];
  const y = { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, padding: 8 } } as const;
  const samples = [...new Set(rows.map((r) => r.spice_samples).filter((s) => s !== null))];
  return {
    name,
    title,
    caption:
      `Each code set deployed on the die at every condition (pvt.${d.file ? 'json' : 'csv'}): accuracy in layered SPICE (solid, ${samples.join('/')} test samples) and on the condition's fitted models over the whole test split (dashed), ` +
      `one panel per supply${corners.length > 1 ? ' and corner' : ` (corner ${corners[0]})`}, one colour per code set.`,
    spec: {
      data: { values },
      facet: { column: { field: 'supply', type: 'ordinal', title: 'supply', sort: supplies }, ...(corners.length > 1 ? { row: { field: 'corner', type: 'nominal', title: 'corner' } } : {}) },
      spec: {
        width: Math.max(160, Math.floor(WIDTH / Math.min(3, supplies.length)) - 20),
        height: HEIGHT - 60,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'temperature', type: 'quantitative', title: 'temperature (°C)' },
          y: { ...y, axis: { format: '.1f' } },
          color: { field: 'codes', type: 'nominal', title: 'code set' },
          strokeDash: { field: 'measure', type: 'nominal', title: null, scale: { domain: ['layered SPICE', 'model (whole test split)'], range: [[1, 0], [4, 3]] }, legend: { symbolType: 'stroke', symbolStrokeColor: '#444', symbolStrokeWidth: 2, labelLimit: 200 } },
        },
      },
    },
  };
}

/** Accuracy per process corner at the run's temperature and supply. */
export function pvtCorners(d: PvtData): Outcome {
  const name = 'pvt-corners', title = 'Operating conditions: accuracy per process corner';
  if (!d.rows) return { name, title, reason: missing(d) };
  const nominal = obj(d.file?.nominal);
  const nt = num(nominal?.temperature) ?? num(d.rows.find((r) => r.nominal === true)?.temperature);
  const nv = num(nominal?.vdd) ?? num(d.rows.find((r) => r.nominal === true)?.vdd);
  const rows = d.rows.filter((r) => num(r.temperature) === nt && num(r.vdd) === nv);
  const corners = [...new Set(rows.map((r) => String(r.corner)))];
  if (corners.length < 2) return { name, title, reason: 'the study has one corner at the run\'s temperature and supply (codesign pvt --corner tt,ss,ff)' };
  const values = rows.flatMap((r) =>
    [['layered SPICE', r.spice_accuracy], ['model (whole test split)', r.model_accuracy]].flatMap(([measure, v]) => (num(v) === undefined ? [] : [{ corner: String(r.corner), accuracy: 100 * num(v)!, codes: String(r.code_set), measure }])),
  );
  return {
    name,
    title,
    caption: `At ${nt} °C and ${nv} V (the run's own temperature and supply): each code set's accuracy per corner, layered SPICE (filled) and the corner's fitted models (rings).`,
    spec: {
      width: WIDTH,
      height: HEIGHT - 60,
      data: { values },
      mark: { type: 'point', size: 80 },
      encoding: {
        x: { field: 'corner', type: 'nominal', title: 'process corner', sort: corners, axis: { labelAngle: 0 } },
        y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, padding: 8 }, axis: { format: '.1f' } },
        xOffset: { field: 'codes', type: 'nominal' },
        color: { field: 'codes', type: 'nominal', title: 'code set' },
        shape: { field: 'measure', type: 'nominal', title: null },
        fill: { field: 'measure', type: 'nominal', scale: { domain: ['layered SPICE', 'model (whole test split)'], range: ['#444', 'transparent'] }, legend: null },
      },
    },
  };
}

/** The class currents' drift: total output current against the run's condition, per supply. */
export function pvtCurrents(d: PvtData): Outcome {
  const name = 'pvt-currents', title = 'Operating conditions: class currents against the run\'s condition';
  if (!d.rows) return { name, title, reason: missing(d) };
  const first = d.rows[0]?.code_set;
  const rows = temperatureRows(d.rows).filter((r) => r.code_set === first && num(r.current_ratio_spice) !== undefined);
  if (!rows.length) return { name, title, reason: 'no temperature curve with SPICE class currents at the run\'s condition to compare with' };
  const values = rows.map((r) => ({ temperature: num(r.temperature), ratio: num(r.current_ratio_spice), shift: 100 * (num(r.current_shift_spice_median) ?? NaN), supply: `${r.vdd} V ${r.corner}` }));
  return {
    name,
    title,
    caption: `Code set "${first}" in layered SPICE: median over the verified samples of the total class current relative to the same sample at the run's condition (lines); the number at each point is the median largest class-current change, in % of the sample's largest class current at the run's condition.`,
    spec: {
      width: WIDTH,
      height: HEIGHT - 60,
      data: { values },
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'temperature', type: 'quantitative', title: 'temperature (°C)' }, y: { field: 'ratio', type: 'quantitative', title: 'class current / at the run\'s condition', scale: { zero: false, padding: 8 } }, color: { field: 'supply', type: 'nominal', title: 'supply, corner' } } },
        { mark: { type: 'text', dy: -9, fontSize: 9 }, encoding: { x: { field: 'temperature', type: 'quantitative' }, y: { field: 'ratio', type: 'quantitative' }, text: { field: 'shift', type: 'quantitative', format: '.0f' }, color: { field: 'supply', type: 'nominal' } } },
      ],
    },
  };
}

/** Every row of the study as a table. */
export function pvtTable(rows: Row[]): string {
  const p = (v: unknown) => (num(v) === undefined ? '' : pct(num(v)!));
  const r3 = (v: unknown) => (num(v) === undefined ? '' : num(v)!.toFixed(3));
  return `<div class="wide">${htmlTable(
    ['condition', 'code set', 'model', 'SPICE', 'agreement', 'samples', 'current ratio', 'current shift', 'DC power', 'power (transient)', 'soma a', 'g+4', 'g-4', 'status'],
    rows.map((r) => [
      `${r.condition}${r.nominal === true ? ' (run)' : ''}`,
      r.code_set,
      p(r.model_accuracy),
      p(r.spice_accuracy),
      p(r.agreement),
      r.spice_samples ?? '',
      r3(r.current_ratio_spice),
      p(r.current_shift_spice_median),
      num(r.dc_power_w) === undefined ? '' : eng(num(r.dc_power_w)!, 'W'),
      num(r.power_w) === undefined ? '' : eng(num(r.power_w)!, 'W'),
      r3(r.soma_a_median),
      r3(r.g4_pos_median),
      r3(r.g4_neg_median),
      r.ok === false ? String(r.error ?? 'failed').split('\n')[0] : 'ok',
    ]),
  )}</div>`;
}

/** Header facts of a pvt study. */
export function pvtFacts(d: PvtData): [string, string][] {
  const p = d.file;
  if (!p) return d.rows ? [['conditions', String(new Set(d.rows.map((r) => r.condition)).size)]] : [];
  const out: [string, string][] = [];
  const nominal = obj(p.nominal);
  if (typeof p.dataset === 'string') out.push(['dataset', p.dataset]);
  if (Array.isArray(p.network)) out.push(['network', p.network.join('-')]);
  if (num(p.die_seed) !== undefined) out.push(['die seed', String(p.die_seed)]);
  if (nominal) out.push(['run\'s condition', `${nominal.temperature} °C, ${nominal.vdd} V, ${nominal.corner}`]);
  const grid = obj(p.grid);
  if (grid) out.push(['conditions', `${new Set(d.rows?.map((r) => r.condition)).size} (${grid.form}: ${grid.note})`]);
  if (typeof p.input_note === 'string') out.push(['inputs', p.input_note]);
  if (Array.isArray(p.code_sets)) out.push(['code sets', p.code_sets.map((c) => `${obj(c)?.label} (${obj(c)?.file})`).join(', ')]);
  const mvr = obj(p.models_vs_run);
  if (mvr) out.push(['run\'s condition characterized again', mvr.identical === true ? 'the run\'s models exactly' : `largest relative parameter difference ${num(mvr.max_rel_diff)?.toExponential(2)}`]);
  if (typeof p.engine === 'string') out.push(['engine', p.engine]);
  if (typeof p.power_note === 'string') out.push(['power', p.power_note]);
  return out;
}
