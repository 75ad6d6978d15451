export { runFlow, runFlowRecord, type FlowOptions, type FlowRecord, type FlowSummary, type FlowVerify } from './flow.js';
export { identify, jobId, ResultStore, toJobError, type Executor, type ExecutorProgress, type IdentifiedJob, type Job, type JobError, type JobOutcome, type RunOptions, type StoredOutcome } from './executor.js';
export { LocalExecutor, type LocalExecutorOptions } from './local.js';
export { HANDLERS, runJob, type FlowJobInput, type FlowJobResult, type JobContext } from './jobs.js';
export { activeArea, expandGrid, parseSets, sweepKeys, type Axis, type GridPoint } from './grid.js';
export { mean, paretoFront, sampleStd, wilson } from './stats.js';
export { runSweep, SWEEP_COLUMNS, type SweepFile, type SweepOptions, type SweepRow } from './sweep.js';
export { runYield, YIELD_COLUMNS, type AccuracySource, type YieldEstimate, type YieldFile, type YieldOptions } from './yield.js';
export type { StudyOptions } from './study.js';
