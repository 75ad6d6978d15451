import { z } from 'zod';

const size = z.union([z.string(), z.number()]);

const deviceSchema = z.object({
  /** Model name used on primitive instances (`m... <model>`). */
  model: z.string().min(1),
  min_w: size,
  min_l: size,
  /** Pelgrom coefficient of threshold mismatch, mV*um. */
  avt_mv_um: z.number().nonnegative(),
  /** Pelgrom coefficient of current-factor mismatch, %*um. */
  abeta_pct_um: z.number().nonnegative(),
  /** The PDK's own device cell for this type, as layout extraction and LVS name it (review netlists: `x... <review_cell>`). */
  review_cell: z.string().min(1).optional(),
  /** The subcircuit in this descriptor's model files that implements review_cell, when it has another name there. */
  model_cell: z.string().min(1).optional(),
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
  /** How review netlists (PDK device cells, no mismatch) are written and simulated. */
  review: z
    .object({
      /**
       * How a device with multiplier m is drawn: "m" writes m=<m> on one instance; "parallel"
       * writes m unit instances (for cells that ignore an instance's m in ngspice).
       */
      multiplier: z.enum(['m', 'parallel']).default('m'),
      /**
       * Source/drain diffusion length for the junction estimates the PDK's schematic symbols
       * write on each device (as = ad = W * length, ps = pd = 2 * (W + length)); omitted, none
       * are written and the cells' own defaults apply.
       */
      diffusion_length: size.optional(),
      /** Parameters that switch the device cells' own statistical mismatch off, e.g. { "sw_stat_mismatch": 0 }. */
      nominal_params: z.record(z.string(), z.number()).default({}),
      notes: z.string().optional(),
    })
    .optional(),
  notes: z.string().optional(),
});

export type PdkDescriptorFile = z.infer<typeof pdkDescriptorSchema>;

export type DeviceType = 'nfet' | 'pfet';

/** A resolved device type: sizes in metres, Pelgrom coefficients in SI (V*m, 1*m). */
export interface PdkDevice {
  type: DeviceType;
  model: string;
  minW: number;
  minL: number;
  /** sigma(dVth) * sqrt(W*L), V*m. */
  avt: number;
  /** sigma(dbeta/beta) * sqrt(W*L), m (relative). */
  abeta: number;
  /** The PDK's device cell (review netlists), when the descriptor names one. */
  reviewCell?: string;
  /** The subcircuit in the model files that implements reviewCell (defaults to reviewCell). */
  modelCell?: string;
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
  review?: NonNullable<PdkDescriptorFile['review']>;
}
