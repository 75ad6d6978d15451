import { z } from 'zod';

const size = z.union([z.string(), z.number()]);

/**
 * One size bin of a binned model card (`.model nmos_3p3.8 ... lmin lmax wmin wmax`): ngspice
 * picks the bin for each instance by its W and L, reading the bounds off every binned card's
 * text for every instance that names the base model, which makes parsing cost ~100 us per
 * transistor. Naming the bin on the instance line skips that search (same card, same results).
 */
const binSchema = z.object({
  model: z.string().min(1),
  l: z.tuple([size, size]),
  w: z.tuple([size, size]),
});

const deviceSchema = z.object({
  /** Model name used on primitive instances (`m... <model>`). */
  model: z.string().min(1),
  /** The size bins of `model` in the model files (optional: unbinned models are named as is). */
  bins: z.array(binSchema).optional(),
  min_w: size,
  min_l: size,
  /** Pelgrom coefficient of threshold mismatch, mV*um. */
  avt_mv_um: z.number().nonnegative(),
  /** Pelgrom coefficient of current-factor mismatch, %*um. */
  abeta_pct_um: z.number().nonnegative(),
});

/** A PDK descriptor file in pdk-models/ (or a user's own, given by path). */
export const pdkDescriptorSchema = z.object({
  name: z.string().regex(/^[a-z0-9_-]+$/),
  description: z.string(),
  feature_size: size,
  supply: z.object({ default: z.number().positive(), max: z.number().positive() }),
  devices: z.object({ nfet: deviceSchema, pfet: deviceSchema }),
  /** Corner name -> the file a netlist `.include`s for it. */
  corners: z.record(z.string(), z.string()).refine((c) => 'tt' in c, 'a "tt" corner is required'),
  models: z.object({
    /**
     * Where the model text comes from: "eecircuit-engine" (bundled in the wasm engine,
     * exported to disk for native ngspice) or "path" (a directory on disk, absolute or
     * relative to $PDK_ROOT).
     */
    source: z.enum(['eecircuit-engine', 'path']),
    files: z.array(z.string()).min(1),
    path: z.string().optional(),
  }),
  notes: z.string().optional(),
});

export type PdkDescriptorFile = z.infer<typeof pdkDescriptorSchema>;

export type DeviceType = 'nfet' | 'pfet';

/** A resolved device type: sizes in metres, Pelgrom coefficients in SI (V*m, 1*m). */
export interface PdkDevice {
  type: DeviceType;
  model: string;
  /** Size bins of the model, metres (empty: not binned). */
  bins: { model: string; lmin: number; lmax: number; wmin: number; wmax: number }[];
  minW: number;
  minL: number;
  /** sigma(dVth) * sqrt(W*L), V*m. */
  avt: number;
  /** sigma(dbeta/beta) * sqrt(W*L), m (relative). */
  abeta: number;
}

/** What the rest of codesign asks a PDK for. */
export interface Pdk {
  name: string;
  description: string;
  descriptorPath: string;
  supply: { default: number; max: number };
  devices: Record<DeviceType, PdkDevice>;
  corners: Record<string, string>;
  models: PdkDescriptorFile['models'];
}
