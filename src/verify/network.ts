import { countTransistors, readoutPath, somaPath, synapsePath } from '../characterize/index.js';
import type { Design } from '../design/index.js';
import { drawInstance } from '../mismatch/index.js';
import { codeBits, commonData, deviceData, instanceParams, render, type SimOptions } from '../netlist/index.js';
import { ConfigError } from '../util/errors.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { formatNumber, formatSi } from '../util/si.js';
import { GENERATOR_VERSION } from '../util/version.js';

/** Weight codes: one matrix per weight layer, [i = presynaptic][j = postsynaptic], each in -7..7. */
export type Codes = number[][][];

export function checkCodes(codes: Codes, layers: number[], source: string): void {
  if (!Array.isArray(codes) || codes.length !== layers.length - 1) throw new ConfigError(`${source}: expected ${layers.length - 1} code matrices for a ${layers.join('-')} network, got ${Array.isArray(codes) ? codes.length : typeof codes}`);
  codes.forEach((m, k) => {
    if (!Array.isArray(m) || m.length !== layers[k]) throw new ConfigError(`${source}: codes[${k}] must have ${layers[k]} rows, has ${Array.isArray(m) ? m.length : typeof m}`);
    m.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== layers[k + 1]) throw new ConfigError(`${source}: codes[${k}][${i}] must have ${layers[k + 1]} entries`);
      row.forEach((c, j) => {
        if (!Number.isInteger(c) || c < -7 || c > 7) throw new ConfigError(`${source}: codes[${k}][${i}][${j}] = ${c} is not an integer in -7..7`);
      });
    });
  });
}

/**
 * The complete transistor-level netlist of a network on its die (weights and inputs in
 * their own include files). Deterministic: the same design and seed give the same bytes.
 */
export function networkNetlist(
  design: Design,
  seed: number,
  opts: { analysis?: string; options?: SimOptions; /** Ramp the supply from 0 over this time (transients of big netlists), s. */ supplyRamp?: number } = {},
): { text: string; counts: ReturnType<typeof countTransistors> } {
  const layers = design.config.layers;
  const counts = countTransistors(layers);
  const last = layers.length - 1;
  const somaLayers = layers.map((n, layer) => ({
    layer,
    instances: Array.from({ length: n }, (_, i) => ({ i, devices: instanceParams('soma', drawInstance(design, seed, 'soma', somaPath(layer, i))) })),
  }));
  const synapseLayers = layers.slice(0, -1).map((n, layer) => ({
    layer,
    next: layer + 1,
    instances: Array.from({ length: n * layers[layer + 1] }, (_, q) => {
      const i = Math.floor(q / layers[layer + 1]);
      const j = q % layers[layer + 1];
      return { i, j, devices: instanceParams('synapse', drawInstance(design, seed, 'synapse', synapsePath(layer, i, j))) };
    }),
  }));
  const readouts = Array.from({ length: layers[last] }, (_, i) => {
    const m = drawInstance(design, seed, 'readout', readoutPath(i)).mn_read;
    return { i, dvt: formatNumber(m.dvt), mu: formatNumber(m.mu) };
  });
  const text = render('network.sp.hbs', {
    ...commonData(design, seed, `codesign network: ${layers.join('-')} on die ${seed}`, opts.options),
    ...(opts.supplyRamp ? { supply: `pwl(0 0 ${formatSi(opts.supplyRamp)} ${formatNumber(design.vdd)})` } : {}),
    layerText: layers.join('-'),
    counts,
    somaLayers,
    synapseLayers,
    readouts,
    lastLayer: last,
    readoutDev: deviceData(design, 'readout'),
    analysis: opts.analysis ?? '',
  });
  return { text, counts };
}

/** weights.inc: every bit gate tied to vdd or vss. */
export function weightsInclude(design: Design, seed: number, codes: Codes): string {
  const layers = design.config.layers;
  checkCodes(codes, layers, 'weights');
  const synapses = codes.flatMap((m, layer) => m.flatMap((row, i) => row.map((code, j) => ({ layer, i, j, code, bits: codeBits(code) }))));
  return render('weights.inc.hbs', {
    layerText: layers.join('-'),
    count: synapses.length,
    version: GENERATOR_VERSION,
    designHash: design.hash,
    seed,
    codesHash: sha256(canonicalJson(codes)).slice(0, 16),
    synapses,
  });
}

/** inputs.inc: one current source per input soma, DC values or any SPICE source spec (e.g. PWL). */
export function inputsInclude(description: string, values: string[]): string {
  return render('inputs.inc.hbs', { description, sources: values.map((value, i) => ({ i, value })) });
}

/** Inlines `.include weights.inc` / `.include inputs.inc` so one text can go to either engine. */
export function inlineIncludes(circuit: string, files: Record<string, string>): string {
  return circuit.replace(/^\.include (\S+)$/gm, (line, name: string) => (name in files ? `* --- ${name} ---\n${files[name].trimEnd()}\n* --- end of ${name} ---` : line));
}

/** The run folder's network files: network.cir (the circuit), weights.inc, inputs.inc (all inputs at 0). */
export function networkFiles(design: Design, seed: number, codes: Codes): Record<string, string> {
  const layers = design.config.layers;
  return {
    'network.cir': networkNetlist(design, seed).text,
    'weights.inc': weightsInclude(design, seed, codes),
    'inputs.inc': inputsInclude('all inputs at 0 A (verification writes its own)', Array.from({ length: layers[0] }, () => 'dc 0')),
  };
}
