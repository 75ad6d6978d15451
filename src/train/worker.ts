/**
 * A trainer thread (baselines.ts): receives the compiled kernels, the die's models, the data
 * and the characterized range once, then per task message trains one network (its phases,
 * trainPhases), posts its result, and then the measures the task asks of it (measures.ts).
 * { init: {module, models, data, range} } then { task: {id, devices, phases, measures} }
 * -> { id, result } then { id, measures } | { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import type { Split } from '../data/index.js';
import type { DieModels } from '../fit/models.js';
import { deviceNet, nominalNet } from './device.js';
import { measureAll, type Measure, type MeasureContext, type MeasureSplit } from './measures.js';
import type { CurrentRange } from './scale.js';
import { trainPhases, type TrainOptions } from './train.js';

let state: { module: WebAssembly.Module; ctx: MeasureContext } | undefined;

interface Init {
  module: WebAssembly.Module;
  models: DieModels;
  data: Record<MeasureSplit, Split>;
  range: CurrentRange;
}

parentPort!.on('message', (m: { init?: Init; task?: { id: number; devices: 'nominal' | 'die'; phases: TrainOptions[]; measures: Measure[] } }) => {
  if (m.init) {
    const { module, models, data, range } = m.init;
    state = { module, ctx: { nets: { nominal: nominalNet(models), die: deviceNet(models) }, data, range, inputScale: models.input_scale } };
    return;
  }
  const { id, devices, phases, measures } = m.task!;
  try {
    const result = trainPhases(state!.module, state!.ctx.nets[devices], state!.ctx.data, phases);
    parentPort!.postMessage({ id, result });
    parentPort!.postMessage({ id, measures: measureAll(state!.ctx, result.weights, measures) });
  } catch (e) {
    parentPort!.postMessage({ id, error: (e as Error).stack ?? String(e) });
  }
});
