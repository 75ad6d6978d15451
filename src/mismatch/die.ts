import { CELLS, type CellName, type Design } from '../design/index.js';
import type { DeviceType } from '../pdk/index.js';
import { coefficientsFor, pelgromSigma } from './pelgrom.js';
import { streamFor } from './rng.js';

/** One transistor's deviation from nominal, as written on its netlist line. */
export interface DeviceMismatch {
  /** Threshold shift, V (`delvto`). */
  dvt: number;
  /** Mobility (current factor) multiplier (`mulu0`). */
  mu: number;
}

/** Every device of one cell instance, by device name. */
export type InstanceMismatch = Record<string, DeviceMismatch>;

/** Significant digits kept: the netlist shows exactly the values the die holds. */
const DIGITS = 6;
const round = (x: number) => Number(x.toPrecision(DIGITS));

/** Die-to-die threshold shift per device type (zero unless the design asks for it). */
export function globalShift(design: Design, seed: number): Record<DeviceType, number> {
  const g = design.config.mismatch.global_sigma_mv;
  const out = { nfet: 0, pfet: 0 } as Record<DeviceType, number>;
  if (!design.config.mismatch.enabled) return out;
  for (const t of ['nfet', 'pfet'] as const) {
    if (g[t] > 0) out[t] = round(streamFor(seed, `global/${t}`).normal() * g[t] * 1e-3);
  }
  return out;
}

/**
 * The mismatch of one cell instance on a die: a pure function of (design, seed, path).
 * Each device draws from its own stream keyed by `<path>/<device>`, so adding, removing or
 * resizing other instances leaves these values unchanged.
 */
export function drawInstance(design: Design, seed: number, cell: CellName, path: string): InstanceMismatch {
  const out: InstanceMismatch = {};
  const shift = globalShift(design, seed);
  const mm = design.config.mismatch;
  for (const dev of CELLS[cell]) {
    if (!mm.enabled) {
      out[dev.name] = { dvt: 0, mu: 1 };
      continue;
    }
    const { w, l } = design.sizes[cell][dev.group];
    const k = coefficientsFor(design.pdk.devices[dev.type], mm, { w, l });
    const s = streamFor(seed, `${path}/${dev.name}`);
    const dvt = s.normal() * pelgromSigma(k.avt, w, l, dev.m) + shift[dev.type];
    const mu = 1 + s.normal() * pelgromSigma(k.abeta, w, l, dev.m);
    out[dev.name] = { dvt: round(dvt), mu: round(mu) };
  }
  return out;
}

/** The sigma of each device's threshold and current-factor draws (what Pelgrom predicts). */
export function predictedSigmas(design: Design, cell: CellName): Record<string, { dvt: number; mu: number }> {
  const out: Record<string, { dvt: number; mu: number }> = {};
  for (const dev of CELLS[cell]) {
    const { w, l } = design.sizes[cell][dev.group];
    const k = coefficientsFor(design.pdk.devices[dev.type], design.config.mismatch, { w, l });
    out[dev.name] = { dvt: pelgromSigma(k.avt, w, l, dev.m), mu: pelgromSigma(k.abeta, w, l, dev.m) };
  }
  return out;
}
