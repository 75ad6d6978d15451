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
