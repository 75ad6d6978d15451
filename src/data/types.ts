/**
 * A dataset as the trainer sees it: features in [0, 1] (feature value v drives the input soma
 * with the current v * models.input_scale), integer class labels, and fixed splits.
 */
export interface Split {
  /** Samples, row-major [n][features], each value in [0, 1]. */
  x: Float64Array;
  /** Class label of each sample, 0..classes-1. */
  y: Uint8Array;
  n: number;
}

export interface Dataset {
  /** "iris", "mnist" or "mnist-idx:<dir>". */
  name: string;
  features: number;
  classes: number;
  train: Split;
  val: Split;
  test: Split;
  /** How features were made (for reports): normalization, downsampling, split sizes. */
  notes: string;
}

/** The same split with only its first n samples (a fast subset for tests and quick runs). */
export function head(s: Split, n: number, features: number): Split {
  const m = Math.min(n, s.n);
  return { x: s.x.slice(0, m * features), y: s.y.slice(0, m), n: m };
}

/** Input currents in amperes of a split: feature value v gives v * inputScale. */
export function inputCurrents(s: Split, inputScale: number): Float64Array {
  return s.x.map((v) => v * inputScale);
}

/**
 * The dataset with one more input, fixed at 1.0 (an input soma driven by a constant
 * input_scale current): the network's only way to a bias, since the circuits have none.
 * A bias-free ReLU network scales with its input (f(kx) = k f(x)), so it classifies by the
 * input's direction alone; on Iris that caps test accuracy near 80 %, with the extra input
 * it reaches ~97 % (measured: `tsx scripts/bench/train.ts accuracy`).
 */
export function withBiasInput(d: Dataset): Dataset {
  const F = d.features;
  const add = (s: Split): Split => {
    const x = new Float64Array(s.n * (F + 1));
    for (let r = 0; r < s.n; r++) {
      x.set(s.x.subarray(r * F, r * F + F), r * (F + 1));
      x[r * (F + 1) + F] = 1;
    }
    return { x, y: s.y, n: s.n };
  };
  return { ...d, name: `${d.name}+bias`, features: F + 1, train: add(d.train), val: add(d.val), test: add(d.test), notes: `${d.notes}; plus a constant input 1.0 (bias)` };
}
