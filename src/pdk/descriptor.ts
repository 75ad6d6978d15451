import { z } from 'zod';

const size = z.union([z.string(), z.number()]);

/**
 * A model bin of a PDK whose models exist only at certain sizes (SKY130: each binned card
 * covers one W and one L, +-5 nm): the W and L range in metres, and the Pelgrom coefficients
 * of that bin when the PDK's mismatch data differ between bins.
 */
const binSchema = z.object({
  w: z.tuple([z.number().positive(), z.number().positive()]),
  l: z.tuple([z.number().positive(), z.number().positive()]),
  avt_mv_um: z.number().nonnegative().optional(),
  abeta_pct_um: z.number().nonnegative().optional(),
});

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
  /** The sizes the models cover; absent: any size at or above the minimum. */
  bins: z.array(binSchema).min(1).optional(),
});

/** A corner: one model entry or several, each "file" (`.include`) or "file section" (`.lib`). */
const cornerSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const sizeEntry = z.object({ w: size, l: size }).strict();

/** A PDK descriptor file in pdk-models/ (or a user's own, given by path). */
export const pdkDescriptorSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/),
  description: z.string(),
  feature_size: size,
  supply: z.object({ default: z.number().positive(), max: z.number().positive() }),
  devices: z.object({ nfet: deviceSchema, pfet: deviceSchema }),
  /**
   * Corner name -> what a netlist loads for it: "file" (`.include file`), "file section"
   * (`.lib file section`, as open_pdks installs write corners), or a list of those.
   */
  corners: z.record(z.string(), cornerSchema).refine((c) => 'tt' in c, 'a "tt" corner is required'),
  /** Said when a corner the descriptor lacks is asked for (e.g. where to get it). */
  corner_hint: z.string().optional(),
  /**
   * The cells' device sizes for this PDK, used where the design sets none: cell -> group ->
   * {w, l}. Absent: the design schema's defaults (GF180MCU's reference cells).
   */
  reference_sizes: z.record(z.string(), z.record(z.string(), sizeEntry)).optional(),
  models: z
    .object({
      /**
       * Where the model text comes from: "eecircuit-engine" (bundled in the wasm engine,
       * exported to disk for native ngspice), "local" (files in `path` relative to the
       * descriptor's folder) or "path" (a directory on disk, absolute or relative to $PDK_ROOT).
       */
      source: z.enum(['eecircuit-engine', 'local', 'path']),
      /** The files the corners load (copied into the wasm engine); not needed with `derive`. */
      files: z.array(z.string()).default([]),
      path: z.string().optional(),
      /**
       * Transistors that the PDK wraps in subcircuits: codesign reads each corner's model text
       * (includes resolved) and derives a primitive-form library from it (src/pdk/derive.ts),
       * cached per content hash; netlists then include `<pdk>.<corner>.spice`.
       */
      derive: z.object({ subckts: z.object({ nfet: z.string().min(1), pfet: z.string().min(1) }) }).optional(),
      /** For generated model files: how they were made and their SHA-256, checked by the tests. */
      derived: z
        .object({
          script: z.string(),
          source: z.string(),
          source_sha256: z.string(),
          files: z.record(z.string(), z.string()),
        })
        .optional(),
    })
    .refine((m) => m.derive !== undefined || m.files.length > 0, { message: 'list the model files (models.files)', path: ['files'] })
    .refine((m) => m.source === 'eecircuit-engine' || m.path !== undefined, { message: 'models.path is required unless the models are bundled in eecircuit-engine', path: ['path'] })
    .refine((m) => m.derive === undefined || m.source === 'path', { message: 'models.derive works on a PDK on disk (source "path")', path: ['derive'] }),
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
  /** The sizes the models cover (m), with per-bin coefficients (SI) where the PDK has them; absent: continuous. */
  bins?: { w: [number, number]; l: [number, number]; avt?: number; abeta?: number }[];
}

/** A device size, metres. */
export interface SizeM {
  w: number;
  l: number;
}

/** What the rest of codesign asks a PDK for. */
export interface Pdk {
  name: string;
  description: string;
  descriptorPath: string;
  supply: { default: number; max: number };
  devices: Record<DeviceType, PdkDevice>;
  /** Corner -> its model entries ("file" or "file section"). */
  corners: Record<string, string[]>;
  cornerHint?: string;
  /** cell -> group -> size, where the PDK sets the cells' default sizes. */
  referenceSizes?: Record<string, Record<string, SizeM>>;
  models: PdkDescriptorFile['models'];
  review?: NonNullable<PdkDescriptorFile['review']>;
}
