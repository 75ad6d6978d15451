/**
 * A trainer thread (baselines.ts): receives the compiled kernels, the die's models and the
 * training data once, then trains one network (its phases, trainPhases) per task message and posts its result.
 * { init: {module, models, data} } then { task: {id, devices, phases} } -> { id, result } | { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import type { Split } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { deviceNet, nominalNet, type DeviceNet } from './device.js';
import { trainPhases, type TrainOptions } from './train.js';

let state: { module: WebAssembly.Module; nets: Record<'nominal' | 'die', DeviceNet>; data: { train: Split; val: Split } } | undefined;

parentPort!.on('message', (m: { init?: { module: WebAssembly.Module; models: DieModels; data: { train: Split; val: Split } }; task?: { id: number; devices: 'nominal' | 'die'; phases: TrainOptions[] } }) => {
  if (m.init) {
    state = { module: m.init.module, nets: { nominal: nominalNet(m.init.models), die: deviceNet(m.init.models) }, data: m.init.data };
    return;
  }
  const { id, devices, phases } = m.task!;
  try {
    parentPort!.postMessage({ id, result: trainPhases(state!.module, state!.nets[devices], state!.data, phases) });
  } catch (e) {
    parentPort!.postMessage({ id, error: (e as Error).stack ?? String(e) });
  }
});
