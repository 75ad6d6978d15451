/**
 * Which device sizes a PDK has models for, and which model card a size goes by. A device
 * without bins takes any W and L at or above the minimum; one whose bins are single sizes
 * (SKY130's 1.8 V devices) only those sizes, and one whose bins are ranges (GF180MCU) any size
 * inside them. A size outside every bin has no model at all, so it is refused here, before any
 * netlist, with the nearest sizes that exist.
 */
import { ConfigError } from '../util/errors.js';
import { formatSi } from '../util/si.js';
import type { Pdk, PdkDevice } from './descriptor.js';

type Bin = NonNullable<PdkDevice['bins']>[number];

const inside = (x: number, [lo, hi]: [number, number]) => x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9);
const centre = ([lo, hi]: [number, number]) => Number(((lo + hi) / 2).toPrecision(3));

/** Bins at most this wide in W and in L are one size each (SKY130's are 10 nm wide). */
const SINGLE_SIZE_M = 20e-9;

/** Whether the device's models exist only at its bins' sizes (each bin one W and one L). */
export function discreteSizes(dev: PdkDevice): boolean {
  return !!dev.bins && dev.bins.every((b) => b.w[1] - b.w[0] <= SINGLE_SIZE_M && b.l[1] - b.l[0] <= SINGLE_SIZE_M);
}

/**
 * The model name an instance of this type and size goes by: its bin's card when exactly one
 * bin holds W and L and the descriptor names that card, else the base model. A size on an edge
 * that two bins share is left to the simulator: ngspice 39 takes the first bin that holds it,
 * ngspice 45 (the wasm engine) the next one, so naming either would change one engine's results.
 */
export function modelFor(pdk: Pdk, type: 'nfet' | 'pfet', w: number, l: number): string {
  const dev = pdk.devices[type];
  const hits = dev.bins?.filter((b) => inside(w, b.w) && inside(l, b.l)) ?? [];
  return hits.length === 1 && hits[0].model ? hits[0].model : dev.model;
}

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
  if (!discreteSizes(dev)) {
    const hi = (k: 'w' | 'l') => formatSi(Math.max(...dev.bins!.map((b) => b[k][1])), 3);
    throw new ConfigError(`${source}: ${field} W/L = ${pair({ w, l })} has no ${pdk.name} ${type} model: the ${dev.bins.length} bins of ${dev.model} end at W ${hi('w')}, L ${hi('l')}`);
  }
  const near = allowedSizes(dev, { w, l }).slice(0, 6).map(pair);
  throw new ConfigError(
    `${source}: ${field} W/L = ${pair({ w, l })} has no ${pdk.name} ${type} model: ${dev.model} exists only at its ${dev.bins.length} binned sizes (+-5 nm); nearest W/L: ${near.join(', ')} (all: codesign pdk sizes ${pdk.name})`,
  );
}
