export { Stream, streamFor } from './rng.js';
export { pelgromSigma, coefficientsFor, type MismatchCoefficients } from './pelgrom.js';
export { drawInstance, globalShift, predictedSigmas, type DeviceMismatch, type InstanceMismatch } from './die.js';
