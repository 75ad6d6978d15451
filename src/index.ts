/**
 * codesign's public API, the package's one entry point (`import { runFlow } from 'codesign'`):
 * every pipeline stage's index.ts re-exported as it is (pdk, design, mismatch, netlist, spice,
 * characterize, fit, data, train, verify, study, report), plus the error classes and exit
 * codes, SPICE number formatting, run-folder file helpers and the version. The command line
 * (src/cli) is written against this module alone. Declarations: dist/index.d.ts.
 */
export * from './pdk/index.js';
export * from './design/index.js';
export * from './mismatch/index.js';
export * from './netlist/index.js';
export * from './spice/index.js';
export * from './characterize/index.js';
export * from './fit/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './verify/index.js';
export * from './study/index.js';
export * from './report/index.js';
export { CodesignError, ConfigError, ConvergenceError, NetlistError, RedisUnreachableError, SimTimeoutError, SimulatorMissingError, ExitCode, type NetlistLocation } from './util/errors.js';
export { formatNumber, formatSi, parseSi } from './util/si.js';
export { readRunJson, writeFileAtomic } from './util/fs.js';
export { GENERATOR_VERSION } from './util/version.js';
