import { CELLS, resolveDesign } from '../../src/design/index.js';
import { drawInstance, predictedSigmas } from '../../src/mismatch/index.js';

function stats(xs: number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd };
}

describe('Pelgrom mismatch draws', () => {
  const design = resolveDesign({});
  const N = 4000;

  it.each([
    ['nfet', 'soma', 'mn_in'],
    ['pfet', 'soma', 'mp_diode'],
    ['nfet', 'synapse', 'mn_snk1'],
    ['pfet', 'synapse', 'mp_src4'],
  ] as const)('%s %s.%s: sample sigma of delvto within 5 %% of A_VT/sqrt(W*L*m), mean ~ 0', (_t, cell, dev) => {
    const dvt = Array.from({ length: N }, (_, k) => drawInstance(design, 7, cell, `stat/${k}`)[dev].dvt);
    const s = stats(dvt);
    const sigma = predictedSigmas(design, cell)[dev].dvt;
    expect(Math.abs(s.sd / sigma - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.mean)).toBeLessThan((3 * sigma) / Math.sqrt(N));
    const mu = stats(Array.from({ length: N }, (_, k) => drawInstance(design, 7, cell, `stat/${k}`)[dev].mu));
    expect(Math.abs(mu.sd / predictedSigmas(design, cell)[dev].mu - 1)).toBeLessThan(0.05);
  });

  it('A_VT is the PDK value per device type: 5.05 (nfet) and 4.71 (pfet) mV*um', () => {
    const s = predictedSigmas(design, 'soma');
    const area = Math.sqrt(2.7 * 0.45); // um
    expect(s.mn_in.dvt * 1e3 * area).toBeCloseTo(5.05, 6);
    expect(s.mp_diode.dvt * 1e3 * area).toBeCloseTo(4.71, 6);
  });

  it('is a pure function of (design, seed, path); other seeds and paths differ', () => {
    expect(drawInstance(design, 3, 'synapse', 'L0/3/7')).toEqual(drawInstance(design, 3, 'synapse', 'L0/3/7'));
    expect(drawInstance(design, 4, 'synapse', 'L0/3/7')).not.toEqual(drawInstance(design, 3, 'synapse', 'L0/3/7'));
    expect(drawInstance(design, 3, 'synapse', 'L0/3/8')).not.toEqual(drawInstance(design, 3, 'synapse', 'L0/3/7'));
  });

  it('resizing the soma leaves every synapse draw unchanged', () => {
    const resized = resolveDesign({ soma: { n: { w: '5u', l: '1u' } } });
    expect(drawInstance(resized, 3, 'synapse', 'L1/0/2')).toEqual(drawInstance(design, 3, 'synapse', 'L1/0/2'));
    expect(drawInstance(resized, 3, 'soma', 'L1/0')).not.toEqual(drawInstance(design, 3, 'soma', 'L1/0'));
  });

  it('mismatch off gives nominal devices; the A_VT override scales sigma', () => {
    const off = resolveDesign({ mismatch: { enabled: false } });
    for (const dev of CELLS.synapse) expect(drawInstance(off, 9, 'synapse', 'x')[dev.name]).toEqual({ dvt: 0, mu: 1 });
    const seedStudy = resolveDesign({ mismatch: { avt_mv_um: 3.3 } });
    expect(predictedSigmas(seedStudy, 'soma').mp_copy.dvt / predictedSigmas(design, 'soma').mp_copy.dvt).toBeCloseTo(3.3 / 4.71, 9);
  });

  it('a global die shift moves every device of a type by the same amount', () => {
    const g = resolveDesign({ mismatch: { global_sigma_mv: { nfet: 10 } } });
    const shifts = [0, 1, 2].map((k) => drawInstance(g, 5, 'soma', `s/${k}`).mn_in.dvt - drawInstance(design, 5, 'soma', `s/${k}`).mn_in.dvt);
    expect(Math.abs(shifts[0])).toBeGreaterThan(0);
    expect(shifts[1]).toBeCloseTo(shifts[0], 5);
    expect(shifts[2]).toBeCloseTo(shifts[0], 5);
    expect(drawInstance(g, 5, 'soma', 's/0').mp_copy).toEqual(drawInstance(design, 5, 'soma', 's/0').mp_copy);
  });
});
