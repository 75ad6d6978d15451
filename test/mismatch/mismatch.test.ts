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

  it.each(
    (['gf180mcu', 'sky130'] as const).flatMap((pdk) =>
      ([
        ['nfet', 'soma', 'mn_in'],
        ['pfet', 'soma', 'mp_diode'],
        ['nfet', 'synapse', 'mn_snk1'],
        ['pfet', 'synapse', 'mp_src4'],
      ] as const).map(([t, cell, dev]) => [pdk, t, cell, dev] as const),
    ),
  )('%s %s %s.%s: sample sigma of delvto within 5 %% of A_VT/sqrt(W*L*m), mean ~ 0', (pdk, _t, cell, dev) => {
    const d = resolveDesign({ pdk });
    const dvt = Array.from({ length: N }, (_, k) => drawInstance(d, 7, cell, `stat/${k}`)[dev].dvt);
    const s = stats(dvt);
    const sigma = predictedSigmas(d, cell)[dev].dvt;
    expect(Math.abs(s.sd / sigma - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.mean)).toBeLessThan((3 * sigma) / Math.sqrt(N));
    const mu = stats(Array.from({ length: N }, (_, k) => drawInstance(d, 7, cell, `stat/${k}`)[dev].mu));
    expect(Math.abs(mu.sd / predictedSigmas(d, cell)[dev].mu - 1)).toBeLessThan(0.05);
  });

  it("sky130: each device draws with its model bin's coefficients, the PDK's Monte Carlo slopes (A = slope, sigma = slope/sqrt(W*L*mult))", () => {
    const sky = resolveDesign({ pdk: 'sky130' });
    const s = predictedSigmas(sky, 'soma'); // 3u/0.5u
    const area = Math.sqrt(3 * 0.5); // um
    // nfet: vth0 slope 3.356 mV*um and voff slope 7 mV*um in quadrature; pfet (L >= 0.5u bins): vth0 slope 5.856, no voff term.
    expect(s.mn_in.dvt * 1e3 * area).toBeCloseTo(Math.hypot(3.356, 7), 3);
    expect(s.mp_diode.dvt * 1e3 * area).toBeCloseTo(5.856, 3);
    // A_beta from the toxe terms: 0.3443 (nfet) and 0.4443 (pfet) %*um.
    expect(s.mn_in.mu * 100 * area).toBeCloseTo(0.3443, 4);
    expect(s.mp_diode.mu * 100 * area).toBeCloseTo(0.4443, 4);
    // A short-channel pFET bin has the steeper slope (7.356 mV*um).
    const short = resolveDesign({ pdk: 'sky130', soma: { p: { w: '1u', l: '0.15u' } } });
    expect(predictedSigmas(short, 'soma').mp_diode.dvt * 1e3 * Math.sqrt(0.15)).toBeCloseTo(7.356, 3);
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
