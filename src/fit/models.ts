import { z } from 'zod';

/**
 * models.json: the fitted per-device models of one die, what the trainer consumes.
 * Currents are in amperes; gains are dimensionless. Soma layer 0 is the input layer.
 *
 * Soma (layer k, index i):   h = a * max(0, u - t)             (soma_model "relu")
 *                            h = a * s * ln(1 + exp((u - t)/s)) (soma_model "softplus")
 *   u: the soma's input current; h: its output current.
 * Synapse (weight layer k, from soma i of layer k to soma j of layer k+1), code c in -7..7:
 *   I = sign(c) * sum_b bit_b(|c|) * g_b * h_i * (1 + d_b * ln(h_i / I_ref))
 *   with g_b, d_b of the sign of c; b over the magnitude bits 4, 2, 1; I_ref = input_scale.
 *   gain_pos / gain_neg hold g, dlog_pos / dlog_neg hold d, row-major [i][j][b], b = (4, 2, 1).
 *   d (about -0.05) is the mirror's compression: the synapse transistors leave weak
 *   inversion earlier than the soma's, so I grows a little slower than h. With every d = 0
 *   this is the seed's linear model, w_eff(c) * h_i.
 */
export const MODELS_FORMAT = 'codesign-models/1';

const fitQuality = z.object({ rms: z.array(z.number()), r2: z.array(z.number()) });

export const somaLayerSchema = z.object({
  a: z.array(z.number()),
  t: z.array(z.number()),
  /** Softplus width, A (only with soma_model "softplus"). */
  s: z.array(z.number().positive()).optional(),
  fit: fitQuality,
});

export const synapseLayerSchema = z.object({
  rows: z.number().int().positive(),
  cols: z.number().int().positive(),
  gain_pos: z.array(z.number()),
  gain_neg: z.array(z.number()),
  dlog_pos: z.array(z.number()),
  dlog_neg: z.array(z.number()),
  /** Fit quality per synapse (row-major [i][j]), over all six bit/sign configurations. */
  fit: fitQuality,
});

export const modelsSchema = z
  .object({
    format: z.literal(MODELS_FORMAT),
    design_hash: z.string(),
    die_seed: z.number().int().nonnegative(),
    pdk: z.string(),
    corner: z.string(),
    /** Soma count per layer, input layer first: [5, 10, 3] for Iris (constant-current input last). */
    layers: z.array(z.number().int().positive()).min(2),
    /** Input current for a feature value of 1.0, A. */
    input_scale: z.number().positive(),
    soma_model: z.enum(['relu', 'softplus']),
    /** Where the data came from: "spice:<engine>" or "measurements:<file>". */
    source: z.string(),
    somas: z.array(somaLayerSchema),
    synapses: z.array(synapseLayerSchema),
  })
  .superRefine((m, ctx) => {
    if (m.somas.length !== m.layers.length) ctx.addIssue({ code: 'custom', path: ['somas'], message: `expected ${m.layers.length} soma layers, got ${m.somas.length}` });
    if (m.synapses.length !== m.layers.length - 1) ctx.addIssue({ code: 'custom', path: ['synapses'], message: `expected ${m.layers.length - 1} weight layers, got ${m.synapses.length}` });
    m.somas.forEach((s, k) => {
      for (const key of ['a', 't'] as const)
        if (s[key].length !== m.layers[k]) ctx.addIssue({ code: 'custom', path: ['somas', k, key], message: `expected ${m.layers[k]} values, got ${s[key].length}` });
    });
    m.synapses.forEach((w, k) => {
      const n = m.layers[k] * m.layers[k + 1] * 3;
      if (w.rows !== m.layers[k] || w.cols !== m.layers[k + 1])
        ctx.addIssue({ code: 'custom', path: ['synapses', k], message: `expected ${m.layers[k]}x${m.layers[k + 1]}, got ${w.rows}x${w.cols}` });
      for (const key of ['gain_pos', 'gain_neg', 'dlog_pos', 'dlog_neg'] as const)
        if (w[key].length !== n) ctx.addIssue({ code: 'custom', path: ['synapses', k, key], message: `expected ${n} values, got ${w[key].length}` });
    });
  });

export type DieModels = z.infer<typeof modelsSchema>;
export type SomaLayerModel = z.infer<typeof somaLayerSchema>;
export type SynapseLayerModel = z.infer<typeof synapseLayerSchema>;
