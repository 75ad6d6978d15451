import { binFor, type PdkDevice } from '../pdk/index.js';

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

/**
 * The coefficients a device of size (w, l) gets: the design's overrides (mV*um, %*um), else
 * those of the PDK's model bin at that size where the PDK gives them per bin (SKY130), else
 * the PDK's.
 */
export function coefficientsFor(
  dev: PdkDevice,
  override: { avt_mv_um?: number; abeta_pct_um?: number },
  size?: { w: number; l: number },
): MismatchCoefficients {
  const bin = size ? binFor(dev, size.w, size.l) : undefined;
  return {
    avt: override.avt_mv_um !== undefined ? override.avt_mv_um * 1e-9 : (bin?.avt ?? dev.avt),
    abeta: override.abeta_pct_um !== undefined ? override.abeta_pct_um * 1e-8 : (bin?.abeta ?? dev.abeta),
  };
}
