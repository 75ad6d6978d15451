import type { PdkDevice } from '../pdk/index.js';

export interface MismatchCoefficients {
  /** V*m */
  avt: number;
  /** relative, m */
  abeta: number;
}

/** Pelgrom's law: sigma = A / sqrt(W * L * m), for m identical devices in parallel. */
export function pelgromSigma(a: number, w: number, l: number, m = 1): number {
  return a / Math.sqrt(w * l * m);
}

/** The coefficients a device gets: the PDK's, or the design's overrides (mV*um, %*um). */
export function coefficientsFor(
  dev: PdkDevice,
  override: { avt_mv_um?: number; abeta_pct_um?: number },
): MismatchCoefficients {
  return {
    avt: override.avt_mv_um !== undefined ? override.avt_mv_um * 1e-9 : dev.avt,
    abeta: override.abeta_pct_um !== undefined ? override.abeta_pct_um * 1e-8 : dev.abeta,
  };
}
