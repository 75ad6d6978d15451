import { z } from 'zod';
import { checkDeviceSize, cornerInclude, cornerLines, loadPdk, type Pdk } from '../pdk/index.js';
import { ConfigError } from '../util/errors.js';
import { canonicalJson, sha256 } from '../util/hash.js';
import { formatSi, parseSi } from '../util/si.js';
import { parseOrThrow } from '../util/zod.js';
import { CELLS, cellGroups, type CellName } from './cells.js';

const length = z.union([z.string(), z.number().positive()]);
/** A device group's size; what is not set comes from the PDK's reference sizes (resolveDesign). */
const size = () => z.object({ w: length.optional(), l: length.optional() }).prefault({});

/**
 * The reference cells of shared/design/circuits.md (GF180MCU): the sizes of a design that sets
 * none, unless its PDK's descriptor gives its own (`reference_sizes`, e.g. SKY130's, whose models
 * exist only at binned sizes).
 */
export const REFERENCE_SIZES: Record<CellName, Record<string, { w: string; l: string }>> = {
  soma: { n: { w: '2.7u', l: '0.45u' }, p: { w: '2.7u', l: '0.45u' } },
  synapse: { sign: { w: '0.45u', l: '0.45u' }, src: { w: '0.27u', l: '0.54u' }, snk: { w: '0.27u', l: '0.54u' }, bit: { w: '0.45u', l: '0.45u' } },
  readout: { n: { w: '2.7u', l: '0.45u' } },
};

/**
 * The design: everything that decides the circuit and its die. Sizes accept SPICE
 * suffixes ("2.7u"). Sizes not set are the PDK's reference cells (REFERENCE_SIZES, or the
 * descriptor's reference_sizes).
 */
export const designSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('default'),
  pdk: z.string().default('gf180mcu'),
  corner: z.string().default('tt'),
  /** Supply voltage, V; default: the PDK's default supply. */
  vdd: z.number().positive().optional(),
  temperature: z.number().default(27),
  soma: z.object({ n: size(), p: size() }).strict().prefault({}),
  synapse: z.object({ sign: size(), src: size(), snk: size(), bit: size() }).strict().prefault({}),
  /** The readout nFET of each output neuron (one extra transistor per class). */
  readout: z.object({ n: size() }).strict().prefault({}),
  mismatch: z
    .object({
      enabled: z.boolean().default(true),
      /** Override the PDK's A_VT for every device (e.g. 3.3 to reproduce the seed's study), mV*um. */
      avt_mv_um: z.number().nonnegative().optional(),
      /** Override the PDK's A_beta for every device, %*um. */
      abeta_pct_um: z.number().nonnegative().optional(),
      /** Die-to-die threshold shift (one draw per die and device type), sigma in mV. */
      global_sigma_mv: z
        .object({ nfet: z.number().nonnegative().default(0), pfet: z.number().nonnegative().default(0) })
        .prefault({}),
    })
    .strict()
    .prefault({}),
  /**
   * Soma count per layer, input layer first. Default: Iris 5-10-3, the four features plus one
   * input soma fed a constant current (the network has no bias lines; without that input a
   * ReLU network only sees the direction of the input and Iris tops out near 77 %).
   * Preset "mnist": 196-50-10.
   */
  layers: z.array(z.number().int('layer sizes must be whole numbers').min(1, 'a layer needs at least one soma')).min(2, 'need an input and an output layer').default([5, 10, 3]),
  /** Input current for a feature value of 1.0, A (about 100 nA full scale, as in the seed). */
  input_scale: z.number().positive().max(1e-5).default(100e-9),
  /** How every device of a die is measured in SPICE. */
  characterize: z
    .object({
      /** Soma input sweep, A: from, to, number of points (the seed used about -2..76 nA, 40 levels). */
      soma_sweep: z.object({ from: z.number().default(-2e-9), to: z.number().default(76e-9), points: z.number().int().min(8).default(40) }).prefault({}),
      /** Presynaptic input sweep for synapses, A: the range of input currents (starting at 0 costs convergence time and carries no gain information). */
      synapse_sweep: z.object({ from: z.number().default(5e-9), to: z.number().default(80e-9), points: z.number().int().min(4).default(6) }).prefault({}),
      /**
       * Every how many synapse batches of a layer one also measures the held-out points (the odd
       * points of synapse_sweep: the models are fitted on the even ones, the odd ones give the
       * held-out error); the other batches measure the fit points only, which takes about a
       * quarter of a die's Newton iterations off (docs/characterization.md). 1: every batch.
       * Unset: 8 (DEFAULT_HOLDOUT_EVERY in src/characterize), and the design hashes as before the setting existed.
       */
      holdout_every: z.number().int().min(1).optional(),
      /** Voltage the synapse outputs are held at (a soma input node sits near it), V. */
      synapse_vout: z.number().positive().default(0.5),
      /**
       * Transistors per testbench netlist. Measured on MNIST synapse batches (native ngspice,
       * 2-core machine): CPU per synapse is flat from 600 to 2,400 and 1.6x higher at 4,000
       * (a Newton iteration's device evaluations no longer stay in cache).
       */
      batch_transistors: z.number().int().min(100).default(2000),
      /** Per-run simulator timeout, s. */
      timeout_s: z.number().positive().default(600),
    })
    .strict()
    .prefault({}),
  fit: z
    .object({
      /** Soma model: "relu" a*max(0,u-t) as in the seed, or "softplus" (smooth knee). */
      soma_model: z.enum(['relu', 'softplus']).default('relu'),
    })
    .strict()
    .prefault({}),
  /** Die seed: with the design it fixes every mismatch draw. */
  seed: z.number().int().nonnegative().default(1),
}).strict();

/** Named starting points; a design file or flags override their fields. */
export const PRESETS: Record<string, DesignInput> = {
  iris: { name: 'iris', layers: [5, 10, 3] },
  mnist: { name: 'mnist', layers: [196, 50, 10] },
};

export type DesignInput = z.input<typeof designSchema>;
type Sized<T> = { [G in keyof T]: { w: string | number; l: string | number } };
/** A resolved design's config: every size filled in (from the design, else the PDK's reference cells). */
export type DesignConfig = Omit<z.output<typeof designSchema>, CellName> & { [C in CellName]: Sized<z.output<typeof designSchema>[C]> };

export interface DeviceSize {
  w: number;
  l: number;
}

/** A design checked against its PDK, with sizes in metres. */
export interface Design {
  config: DesignConfig;
  /** The validated config as given: sizes only where the design sets them (a base for other PDKs). */
  input: DesignInput;
  pdk: Pdk;
  vdd: number;
  /** What the corner loads, for headers ("file" or "file section", comma-separated). */
  modelInclude: string;
  /** The netlist lines that load the corner's models (`.include file`, `.lib file section`). */
  modelLines: string[];
  sizes: Record<CellName, Record<string, DeviceSize>>;
  /** Hash of everything but the seed: equal designs on different dies share it. */
  hash: string;
}

/** Validates a raw design (from a file or built by the CLI) and resolves it against its PDK. */
export function resolveDesign(input: unknown, source = 'design'): Design {
  const parsed = parseOrThrow(designSchema, input ?? {}, source);
  const pdk = loadPdk(parsed.pdk);
  const modelInclude = cornerInclude(pdk, parsed.corner);
  const modelLines = cornerLines(pdk, parsed.corner);
  const vdd = parsed.vdd ?? pdk.supply.default;
  if (vdd > pdk.supply.max) throw new ConfigError(`${source}: vdd ${vdd} V exceeds the ${pdk.name} maximum ${pdk.supply.max} V`);
  for (const [cell, groups] of Object.entries(pdk.referenceSizes ?? {}))
    for (const g of Object.keys(groups))
      if (!(cell in CELLS) || !cellGroups(cell as CellName).includes(g))
        throw new ConfigError(`${pdk.descriptorPath}: reference_sizes.${cell}.${g} is not a device group (cells: ${(Object.keys(CELLS) as CellName[]).map((c) => `${c}: ${cellGroups(c).join(', ')}`).join('; ')})`);
  const sizes = {} as Design['sizes'];
  const filled = {} as Pick<DesignConfig, CellName>;
  for (const cell of Object.keys(CELLS) as CellName[]) {
    sizes[cell] = {};
    const groups = parsed[cell] as Record<string, { w?: string | number; l?: string | number }>;
    const out: Record<string, { w: string | number; l: string | number }> = {};
    for (const g of cellGroups(cell)) {
      const ref = referenceSize(pdk, cell, g);
      out[g] = { w: groups[g].w ?? ref.w, l: groups[g].l ?? ref.l };
      const w = parseSi(out[g].w, `${source}: ${cell}.${g}.w`);
      const l = parseSi(out[g].l, `${source}: ${cell}.${g}.l`);
      for (const t of new Set(CELLS[cell].filter((d) => d.group === g).map((d) => d.type))) checkDeviceSize(pdk, t, w, l, `${cell}.${g}`, source);
      sizes[cell][g] = { w, l };
    }
    (filled as Record<string, unknown>)[cell] = out;
  }
  // The config with every size written out: design.json then says what was built, and a
  // design that sets no sizes hashes as it did when the sizes were schema defaults.
  const config = { ...parsed, ...filled } as DesignConfig;
  const { seed: _seed, ...rest } = config;
  const hash = sha256(canonicalJson({ ...rest, vdd, sizes })).slice(0, 16);
  return { config, input: parsed as DesignInput, pdk, vdd, modelInclude, modelLines, sizes, hash };
}

/** A group's size when the design sets none: the PDK's reference cell, else GF180MCU's. */
function referenceSize(pdk: Pdk, cell: CellName, group: string): { w: string; l: string } {
  const own = pdk.referenceSizes?.[cell]?.[group];
  return own ? { w: formatSi(own.w), l: formatSi(own.l) } : REFERENCE_SIZES[cell][group];
}
