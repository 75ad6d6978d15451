import { z } from 'zod';
import { CODE_MAX } from './codes.js';

/** The compute engine of the trainer (chosen by measurement: `npm run bench -- train`). */
export const ENGINE = 'wasm-simd-f32';

export const WEIGHTS_FORMAT = 'codesign-weights/1';
export const TRAINING_FORMAT = 'codesign-training/1';

const code = z.number().int().min(-CODE_MAX).max(CODE_MAX);

const optionsSchema = z.object({
  epochs: z.number().int().positive(),
  patience: z.number().int().positive(),
  batch: z.number().int().positive(),
  lr: z.number().positive(),
  logitScale: z.number().positive(),
  weightDecay: z.number().nonnegative(),
  /** Weight of the range penalty (baselines.ts RANGE_PENALTY; 0: none). */
  rangePenalty: z.number().nonnegative().default(0),
});

/** What population codes were trained over: the characterized dies (and how many virtual dies sampled from their fitted model). */
export const populationRecord = z.object({
  dies: z.array(z.object({ die_seed: z.number().int().nonnegative(), models_hash: z.string() })).min(1),
  /** Virtual dies sampled from the model fitted to `dies` that training ran on (0: it ran on `dies` themselves). */
  virtual_dies: z.number().int().nonnegative(),
  virtual_seed: z.number().int(),
  /** SHA-256 of the population.json bytes (the fitted statistics). */
  population_sha256: z.string(),
});

/** weights.json: the mismatch-aware codes of one die, what verification writes into the netlist. */
export const weightsSchema = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  /** Soma count per layer, input layer first. */
  layers: z.array(z.number().int().positive()).min(2),
  /** One integer matrix per weight layer: rows = presynaptic soma i, cols = postsynaptic soma j, codes in -7..7. */
  codes: z.array(z.array(z.array(code))),
  dataset: z.string(),
  /** The last input is a constant 1.0 (input current input_scale), the network's bias. */
  bias_input: z.boolean(),
  seed: z.number().int(),
  epochs_run: z.number().int().nonnegative(),
  best_epoch: z.number().int().nonnegative(),
  engine: z.string(),
  /** SHA-256 of the models.json bytes the codes were trained for (codes of one die; population codes record `population` instead). */
  models_hash: z.string().optional(),
  design_hash: z.string(),
  die_seed: z.number().int().nonnegative().optional(),
  input_scale: z.number().positive(),
  options: optionsSchema,
  /** Codes trained over a population of dies of the design (train --strategy robust): they deploy on any die of it. */
  population: populationRecord.optional(),
}).superRefine((w, ctx) => {
  if (!w.population && (w.die_seed === undefined || w.models_hash === undefined))
    ctx.addIssue({ code: 'custom', path: ['die_seed'], message: 'codes of one die record die_seed and models_hash; population codes record population' });
});

const epochLog = z.object({ epoch: z.number().int(), train_loss: z.number(), train_accuracy: z.number(), val_loss: z.number(), val_accuracy: z.number() });

const baselineRow = z.object({
  name: z.enum(['ideal_float', 'ideal_quantized', 'naive', 'aware']),
  devices: z.enum(['nominal', 'die']),
  weights: z.enum(['float', 'ideal codes', 'aware codes']),
  test_accuracy: z.number(),
  test_loss: z.number(),
  val_accuracy: z.number(),
});

const networkScale = z.object({
  gain_per_code: z.array(z.object({ pos: z.number(), neg: z.number() })),
  soma_gain: z.array(z.number()),
  chain_gain: z.number(),
  logit_scale: z.number(),
});

const currentStats = z.object({
  soma_input_p99_a: z.array(z.number()),
  soma_input_max_a: z.array(z.number()),
  above_range: z.array(z.number()),
  largest_class_current_median_a: z.number(),
  largest_class_current_p90_a: z.number(),
});

/** training.json: curves per epoch of the three trainings, the baselines table and run metrics. */
export const trainingSchema = z.object({
  format: z.literal(TRAINING_FORMAT),
  dataset: z.string(),
  dataset_notes: z.string(),
  splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
  layers: z.array(z.number().int().positive()),
  seed: z.number().int(),
  engine: z.string(),
  models_hash: z.string(),
  /** SHA-256 of the weights.json bytes this training wrote. */
  weights_hash: z.string().optional(),
  options: optionsSchema,
  curves: z.object({ ideal_float: z.array(epochLog), ideal_quantized: z.array(epochLog), aware: z.array(epochLog) }),
  baselines: z.array(baselineRow),
  /** What training derived from the models (scale.ts): each network's gains and logit scale, the initial weights' scale (code units). */
  derived: z.object({
    die: networkScale,
    nominal: networkScale,
    init_scale_codes: z.array(z.number()),
    range_penalty: z.number(),
    /** Soma input currents above these (A, per weight layer's somas) are penalized: the characterized range times the chain gain. */
    current_limits_a: z.object({ die: z.array(z.array(z.number())), nominal: z.array(z.array(z.number())) }),
  }),
  /** The characterized current range and the currents the aware and the ideal codes drive on the test split (die and nominal devices). */
  currents: z.object({
    range: z.object({ soma_max_a: z.number(), synapse_input_max_a: z.number() }),
    aware: currentStats,
    ideal_quantized: currentStats,
  }),
  /** What a user must know about this training: aware codes below the naive ones on the validation split. */
  warnings: z.array(z.string()),
  metrics: z.object({
    test_accuracy: z.number(),
    /** aware minus naive test accuracy, and ideal quantized minus aware (points of 1.0). */
    aware_gain_over_naive: z.number(),
    aware_gap_to_ideal_quantized: z.number(),
    epochs_run: z.number().int(),
    elapsed_s: z.number(),
    /** Training samples processed per second (forward, backward, update) over all three trainings. */
    samples_per_s: z.number(),
  }),
});

export type WeightsFile = z.infer<typeof weightsSchema>;
export type TrainingFile = z.infer<typeof trainingSchema>;
