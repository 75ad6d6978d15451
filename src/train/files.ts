import { z } from 'zod';
import { CODE_MAX } from './codes.js';

/** The compute engine of the trainer (chosen by measurement: `npm run bench -- train`). */
export const ENGINE = 'wasm-simd-f32';

export const WEIGHTS_FORMAT = 'codesign-weights/1';
export const TRAINING_FORMAT = 'codesign-training/1';

const code = z.number().int().min(-CODE_MAX).max(CODE_MAX);

export const CONDITIONS_TRAINING_FORMAT = 'codesign-training-conditions/1';

/** One operating condition a code set was trained over: where, and the models.json (SHA-256) and design hash of the die there. */
const conditionEntry = z.object({
  name: z.string(),
  temperature: z.number(),
  vdd: z.number(),
  corner: z.string(),
  input_scale: z.number(),
  design_hash: z.string(),
  models_hash: z.string(),
});

const optionsSchema = z.object({
  epochs: z.number().int().positive(),
  patience: z.number().int().positive(),
  batch: z.number().int().positive(),
  lr: z.number().positive(),
  logitScale: z.number().positive(),
  weightDecay: z.number().nonnegative(),
  /** Weight of the first phase's range penalty (baselines.ts RANGE_PENALTY; 0: none). */
  rangePenalty: z.number().nonnegative().default(0),
  /** The second phase, at the characterized range (baselines.ts RangePhaseOptions; null: none). */
  rangePhase: z.object({ epochs: z.number().int().positive(), lr: z.number().positive(), penalty: z.number().positive(), target: z.number().positive(), anneal: z.number().min(0).max(1) }).nullable().default(null),
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
  /**
   * Trained over the models of this die at several operating conditions (codesign train
   * --conditions): each condition and the SHA-256 of its models.json. Absent: trained on the
   * run's models only. models_hash above is then the run's own models.json (the die's record).
   */
  conditions: z.array(conditionEntry).optional(),
  /** Codes trained over a population of dies of the design (train --strategy robust): they deploy on any die of it. */
  population: populationRecord.optional(),
}).superRefine((w, ctx) => {
  if (!w.population && (w.die_seed === undefined || w.models_hash === undefined))
    ctx.addIssue({ code: 'custom', path: ['die_seed'], message: 'codes of one die record die_seed and models_hash; population codes record population' });
});

const epochLog = z.object({
  epoch: z.number().int(),
  train_loss: z.number(),
  train_accuracy: z.number(),
  val_loss: z.number(),
  val_accuracy: z.number(),
  /** Second phase, epochs that could be the best: per layer, the 99th percentile of soma input over its limit on the training split. */
  train_range_p99: z.array(z.number()).optional(),
});

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
  limit_ratio_p99: z.array(z.number()),
  above_range: z.array(z.number()),
  in_range: z.boolean(),
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
    /** The first phase's range penalty weight (limits times the chain gain, weight over its square). */
    range_penalty: z.number(),
    range_phase: optionsSchema.shape.rangePhase,
    /** Each weight layer's soma input limits, A: the characterized range (scale.ts currentLimits), die and nominal devices. */
    current_limits_a: z.object({ die: z.array(z.array(z.number())), nominal: z.array(z.array(z.number())) }),
    /** Where the aware codes come from: the second phase from the die's first phase or from the ideal quantized codes, or the naive codes themselves (baselines.ts AwareStart; the best on validation). */
    aware_start: z.enum(['die', 'ideal', 'naive']).default('die'),
  }),
  /**
   * The characterized current range and the currents on the training split: aware codes on the
   * die, ideal codes on nominal devices and on the die (naive). in_range: every layer's 99th
   * percentile of soma input over its limit <= 1, the criterion both trainings are held to.
   */
  currents: z.object({
    range: z.object({ soma_max_a: z.number(), synapse_input_max_a: z.number() }),
    split: z.literal('train'),
    aware: currentStats,
    ideal_quantized: currentStats,
    naive: currentStats,
  }),
  /** What a user must know about this training: aware codes below the naive ones on the validation split; trained currents beyond the characterized range. */
  warnings: z.array(z.string()),
  metrics: z.object({
    test_accuracy: z.number(),
    /** aware minus naive test accuracy, and ideal quantized minus aware (points of 1.0). */
    aware_gain_over_naive: z.number(),
    aware_gap_to_ideal_quantized: z.number(),
    epochs_run: z.number().int(),
    elapsed_s: z.number(),
    /** Wall time of each training on its thread, s. */
    training_s: z.object({ ideal_float: z.number(), ideal_quantized: z.number(), aware: z.number() }).optional(),
    /** Training samples processed per second (forward, backward, update) over all trainings (the die's: both second phases). */
    samples_per_s: z.number(),
  }),
});

export type WeightsFile = z.infer<typeof weightsSchema>;
export type TrainingFile = z.infer<typeof trainingSchema>;

const conditionResult = conditionEntry.extend({
  /** What the training derived for the condition's devices (scale.ts). */
  chain_gain: z.number(),
  logit_scale: z.number(),
  /** The trained codes on the condition's models. */
  test_accuracy: z.number(),
  val_accuracy: z.number(),
  /** The run's own codes (its weights.json, trained at the run's condition) on the condition's models; null when the run has none for this die. */
  run_codes_test_accuracy: z.number().nullable(),
});

/** training.json of a training over conditions (codesign train --conditions): per condition, its codes' and the run's codes' accuracy. */
export const conditionsTrainingSchema = trainingSchema.pick({ dataset: true, dataset_notes: true, splits: true, layers: true, seed: true, engine: true, models_hash: true, options: true }).extend({
  format: z.literal(CONDITIONS_TRAINING_FORMAT),
  /** The run folder (absolute); models_hash is its models.json's SHA-256. */
  run: z.string(),
  weights_hash: z.string(),
  loss: z.string(),
  input_reference: z.enum(['fixed', 'ptat']),
  conditions: z.array(conditionResult),
  /** The run's weights.json the comparison used, and the range phase's second start (null: none for this die). */
  run_codes: z.object({ file: z.string(), sha256: z.string() }).nullable(),
  /** Where the kept range phase began: the first phase over the conditions, or the run's codes (multi.ts trainOverDies `start`); absent without a range phase or run codes. */
  range_phase_start: z.enum(['first phase', 'run codes']).optional(),
  curve: z.array(epochLog),
  metrics: z.object({
    mean_test_accuracy: z.number(),
    worst_test_accuracy: z.number(),
    run_codes_mean_test_accuracy: z.number().nullable(),
    run_codes_worst_test_accuracy: z.number().nullable(),
    best_epoch: z.number().int(),
    epochs_run: z.number().int(),
    elapsed_s: z.number(),
  }),
});

export type ConditionsTrainingFile = z.infer<typeof conditionsTrainingSchema>;
