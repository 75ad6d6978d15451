/**
 * Which device sizes a PDK has models for. Continuous PDKs (GF180MCU) take any W and L at or
 * above the minimum; binned ones (SKY130's 1.8 V devices) only the sizes of their model bins,
 * and a size between bins has no model at all, so it is refused here, before any netlist, with
 * the nearest sizes that exist.
 */
import { ConfigError } from '../util/errors.js';
import { formatSi } from '../util/si.js';
import type { Pdk, PdkDevice } from './descriptor.js';

type Bin = NonNullable<PdkDevice['bins']>[number];

const inside = (x: number, [lo, hi]: [number, number]) => x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9);
const centre = ([lo, hi]: [number, number]) => Number(((lo + hi) / 2).toPrecision(3));

/** The bin a size falls in, if the device is binned and the size is on one. */
export function binFor(dev: PdkDevice, w: number, l: number): Bin | undefined {
  return dev.bins?.find((b) => inside(w, b.w) && inside(l, b.l));
}

/** The sizes a binned device allows, as W/L pairs (bin centres), nearest first to (w, l) when given. */
export function allowedSizes(dev: PdkDevice, near?: { w: number; l: number }): { w: number; l: number }[] {
  const sizes = (dev.bins ?? []).map((b) => ({ w: centre(b.w), l: centre(b.l) }));
  if (near) {
    const d = (s: { w: number; l: number }) => Math.abs(Math.log(s.w / near.w)) + Math.abs(Math.log(s.l / near.l));
    sizes.sort((a, b) => d(a) - d(b) || a.l - b.l || a.w - b.w);
  } else sizes.sort((a, b) => a.l - b.l || a.w - b.w);
  return sizes;
}

const pair = (s: { w: number; l: number }) => `${formatSi(s.w, 3)}/${formatSi(s.l, 3)}`;

/**
 * Refuses a size the PDK has no model for; `field` names the design field ("soma.n"), `source`
 * the design. Binned devices list the nearest allowed W/L pairs.
 */
export function checkDeviceSize(pdk: Pdk, type: 'nfet' | 'pfet', w: number, l: number, field: string, source: string): void {
  const dev = pdk.devices[type];
  if (w < dev.minW * (1 - 1e-9)) throw new ConfigError(`${source}: ${field}.w = ${formatSi(w)} is below the ${pdk.name} ${type} minimum ${formatSi(dev.minW)}`);
  if (l < dev.minL * (1 - 1e-9)) throw new ConfigError(`${source}: ${field}.l = ${formatSi(l)} is below the ${pdk.name} ${type} minimum ${formatSi(dev.minL)}`);
  if (!dev.bins || binFor(dev, w, l)) return;
  const near = allowedSizes(dev, { w, l }).slice(0, 6).map(pair);
  throw new ConfigError(
    `${source}: ${field} W/L = ${pair({ w, l })} has no ${pdk.name} ${type} model: ${dev.model} exists only at its ${dev.bins.length} binned sizes (+-5 nm); nearest W/L: ${near.join(', ')} (all: codesign pdk sizes ${pdk.name})`,
  );
}
