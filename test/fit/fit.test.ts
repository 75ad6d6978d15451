import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEASUREMENT_COLUMNS, measurementLines, readMeasurements, writeMeasurementLines, writeMeasurements, type MeasurementRow } from '../../src/characterize/index.js';
import { resolveDesign } from '../../src/design/index.js';
import { fitMeasurements, fitSoma, fitSynapse, modelsSchema, somaOut, synapseOut } from '../../src/fit/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { toCsv } from '../../src/util/csv.js';
import { tempDir } from '../helpers.js';

const range = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('soma fits', () => {
  it('ReLU fit recovers gain and threshold of a rectifier', () => {
    const x = range(40, -2e-9, 76e-9);
    const y = x.map((u) => 1.3 * Math.max(0, u - 3e-9));
    const f = fitSoma('relu', x, y);
    expect(f.a).toBeCloseTo(1.3, 9);
    expect(f.t).toBeCloseTo(3e-9, 15);
    expect(f.r2).toBeGreaterThan(0.999999);
  });

  it('softplus fit recovers a smooth knee', () => {
    const x = range(40, -20e-9, 76e-9);
    const truth = { a: 0.9, t: 5e-9, s: 3e-9 };
    const y = x.map((u) => somaOut(truth, u));
    const f = fitSoma('softplus', x, y);
    expect(f.a).toBeCloseTo(0.9, 4);
    expect(f.t / 5e-9).toBeCloseTo(1, 3);
    expect(f.s! / 3e-9).toBeCloseTo(1, 3);
    expect(f.rms).toBeLessThan(1e-13);
  });
});

describe('synapse fits', () => {
  it('gain and log compression of a synapse come back from its points', () => {
    const iRef = 100e-9;
    const h = range(6, 5e-9, 80e-9);
    for (const [g, d] of [[0.6, -0.05], [0.15, -0.08], [1.0, 0]]) {
      const f = fitSynapse(h, h.map((x) => synapseOut(g, d, iRef, x)), iRef);
      expect(f.g).toBeCloseTo(g, 9);
      expect(f.d).toBeCloseTo(d, 9);
    }
  });
});

describe('fit from measurements', () => {
  const design = resolveDesign({});
  const example = join(process.cwd(), 'examples', 'measurements-2-3-2.csv');

  it('the example measurement file fits into a valid models.json', async () => {
    const out = tempDir();
    const r = await fitMeasurements(example, design, out);
    expect(r.models.layers).toEqual([2, 3, 2]);
    const stored = modelsSchema.parse(JSON.parse(readFileSync(join(out, 'models.json'), 'utf8')));
    expect(stored.source).toMatch(/^measurements:.*measurements-2-3-2\.csv$/);
    expect(r.summary.fit_r2.min).toBeGreaterThan(0.99);
  });

  it('a table written in pieces (as characterizeAndFit writes it, batch by batch) is the file written at once', async () => {
    const rows = await readMeasurements(example);
    const kinds = new Set(rows.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['soma', 'synapse']));
    const dir = tempDir();
    await writeMeasurements(join(dir, 'whole.csv'), rows);
    // Pieces of one kind (a soma batch has empty post and config columns) and pieces that mix kinds.
    const cuts = [0, rows.findIndex((r) => r.kind === 'synapse'), rows.length - 7, rows.length];
    await writeMeasurementLines(join(dir, 'pieces.csv'), cuts.slice(1).map((c, k) => measurementLines(rows.slice(cuts[k], c))));
    expect(readFileSync(join(dir, 'pieces.csv'), 'utf8')).toBe(readFileSync(join(dir, 'whole.csv'), 'utf8'));
  });

  it('the table is the CSV the general writer (danfo.js) makes of the same rows, and reads back to the same numbers', async () => {
    const rows: MeasurementRow[] = [
      ...(await readMeasurements(example)),
      { device: 'w1/2/3', kind: 'synapse', layer: 1, pre: 2, post: 3, config: '-1', point: 11, x_a: 5e-324, y_a: -1.2345678901234567e-21 },
      { device: 's2/0', kind: 'soma', layer: 2, pre: 0, post: null, config: '', point: 0, x_a: -0, y_a: (0.1 + 0.2) * 1e-9 },
    ];
    const general = toCsv(MEASUREMENT_COLUMNS, rows.map((r) => ({ ...r, post: r.post === null ? '' : r.post })));
    const dir = tempDir();
    await writeMeasurements(join(dir, 'm.csv'), rows);
    expect(readFileSync(join(dir, 'm.csv'), 'utf8')).toBe(general);
    const back = await readMeasurements(join(dir, 'm.csv'));
    expect(back.map((r) => [r.x_a, r.y_a])).toEqual(rows.map((r) => [r.x_a === 0 ? 0 : r.x_a, r.y_a]));
  });

  function badFile(name: string, text: string): string {
    const dir = tempDir();
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  }
  const header = MEASUREMENT_COLUMNS.join(',');
  const row = (y: string) => `s0/0,soma,0,0,,,0,1e-9,${y}`;

  it.each([
    ['a missing file', () => '/nonexistent/m.csv', /measurement file not found: \/nonexistent\/m\.csv/],
    ['a directory', () => tempDir(), /cannot read measurement file/],
    ['wrong columns', () => badFile('w.csv', 'device,x,y\ns0/0,1,2\n'), /missing column\(s\) kind, layer.*in x_a and y_a, in amperes/],
    ['NaN', () => badFile('nan.csv', `${header}\n${row('1e-9')}\n${row('NaN')}\n`), /nan\.csv:3: column y_a: "NaN" is not a number/],
    ['nA given as numbers', () => badFile('na.csv', `${header}\n${row('40')}\n`), /na\.csv:2: column y_a: 40 A is not a plausible current.*amperes/],
    ['an unknown kind', () => badFile('k.csv', `${header}\ns0/0,neuron,0,0,,,0,1e-9,1e-9\n`), /k\.csv:2: column kind: expected soma or synapse/],
  ])('rejects %s with a clear error and leaves no models.json behind', async (_name, file, msg) => {
    const out = join(tempDir(), 'run');
    mkdirSync(out);
    const err = await fitMeasurements(file(), design, out).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(msg);
    expect(existsSync(join(out, 'models.json'))).toBe(false);
  });

  it('a table missing devices of the network is refused', async () => {
    const rows = readFileSync(example, 'utf8').trim().split('\n');
    const f = badFile('partial.csv', rows.filter((l) => !l.startsWith('w1/2/1,')).join('\n') + '\n');
    await expect(fitMeasurements(f, design, tempDir())).rejects.toThrow(/missing.*w1\/2\/1/);
  });
});
