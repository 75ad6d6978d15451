import { CELLS, type Design } from '../design/index.js';
import { predictedSigmas, type InstanceMismatch } from '../mismatch/index.js';
import { somaBatchTestbench, type Sweep } from '../netlist/index.js';
import type { Engine } from '../spice/index.js';
import { fitLine } from './linefit.js';

/** Gain of a soma transfer curve: a line through its active points (output above 5 % of the largest). */
function activeGain(x: Float64Array, y: Float64Array): number {
  const ymax = Math.max(...y);
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < x.length; i++) if (y[i] > 0.05 * ymax) (xs.push(x[i]), ys.push(y[i]));
  return fitLine(xs, ys).slope;
}

export interface GainSpreadPrediction {
  /** Soma gain with nominal devices. */
  nominal: number;
  /** Predicted standard deviation of ln(a) over dies and instances. */
  sigmaLnA: number;
  /** d ln(a) / d(delvto) per device (1/V) and d ln(a) / d(mulu0) per device. */
  sensitivity: Record<string, { dvt: number; mu: number }>;
}

/**
 * What Pelgrom's law predicts for the spread of soma gains in this circuit: each device's
 * effect on ln(a) is measured in SPICE by a small perturbation, then combined with the
 * device's sigma to first order. Independent of any fitted die.
 */
export async function predictSomaGainSpread(engine: Engine, design: Design, sweep: Sweep): Promise<GainSpreadPrediction> {
  const devices = CELLS.soma.map((d) => d.name);
  const nominal: InstanceMismatch = Object.fromEntries(devices.map((d) => [d, { dvt: 0, mu: 1 }]));
  const dv = 1e-3, dm = 0.01;
  const perturbed = (dev: string, which: 'dvt' | 'mu'): InstanceMismatch => ({
    ...nominal,
    [dev]: which === 'dvt' ? { dvt: dv, mu: 1 } : { dvt: 0, mu: 1 + dm },
  });
  const specs = [
    { path: 'sensitivity/nominal', mismatch: nominal },
    ...devices.flatMap((d) => [
      { path: `sensitivity/${d}/dvt`, mismatch: perturbed(d, 'dvt') },
      { path: `sensitivity/${d}/mu`, mismatch: perturbed(d, 'mu') },
    ]),
  ];
  const tb = somaBatchTestbench(design, 0, specs, { sweep, title: 'codesign soma sensitivity: nominal and one-device perturbations' });
  const r = await engine.run({ netlist: tb.text, label: 'soma-sensitivity' });
  const x = r.vectors[r.scale];
  const gains = tb.outputs.map((o) => activeGain(x, r.vectors[o]));
  const sigmas = predictedSigmas(design, 'soma');
  const sensitivity: GainSpreadPrediction['sensitivity'] = {};
  let variance = 0;
  devices.forEach((d, k) => {
    const sDvt = (Math.log(gains[1 + 2 * k]) - Math.log(gains[0])) / dv;
    const sMu = (Math.log(gains[2 + 2 * k]) - Math.log(gains[0])) / dm;
    sensitivity[d] = { dvt: sDvt, mu: sMu };
    variance += (sDvt * sigmas[d].dvt) ** 2 + (sMu * sigmas[d].mu) ** 2;
  });
  return { nominal: gains[0], sigmaLnA: Math.sqrt(variance), sensitivity };
}
