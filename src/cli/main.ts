#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CodesignError, ESTIMATE_ABOVE_TRANSISTORS, ExitCode, GENERATOR_VERSION } from '../index.js';
import { characterizeCommand, demoCommand, fitCommand, netlistCommand, runCommand, verifyCommand, pdkExportCommand, pdkListCommand, pdkSizesCommand, simulateCommand } from './commands.js';
import { designOptions } from './design-args.js';
import { reportCommand, reportOptions } from './report-command.js';
import { trainCommand, trainConditionsCommand, trainOptions } from './train-command.js';
import { sweepCommand, sweepOptions, yieldCommand, yieldOptions } from './study-commands.js';
import { workerCommand, workerOptions } from './worker-command.js';
import { diffCommand, lvsCommand } from './review-commands.js';
import { PVT_EPILOG, pvtCommand, pvtOptions } from './pvt-command.js';
import { exitOnSignals } from './signals.js';

/** A command line yargs rejects; thrown from its fail handler so that no command runs. */
class UsageError extends CodesignError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** yargs' messages, with a rejected choice named by the option the user typed: `--dataset: "cifar" is not one of "iris", "mnist"`. */
function usageMessage(msg: string): string {
  const choices = [...msg.matchAll(/Argument: (\S+), Given: (.*), Choices: (.*)$/gm)];
  return choices.length ? choices.map(([, arg, given, allowed]) => `--${arg}: ${given} is not one of ${allowed}`).join('\n') : msg;
}

/**
 * A list value that starts with a negative number (`--temperature -40,27,125`) is the option's
 * value, not a group of short flags: joined to its option before yargs sees it.
 */
function joinNegativeLists(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (/^-\d[\d.eE+-]*,/.test(a) && prev?.startsWith('--') && !prev.includes('=')) out[out.length - 1] = `${prev}=${a}`;
    else out.push(a);
  }
  return out;
}

/** Parses arguments into library calls; every error leaves with one message and an exit code. */
export async function main(argv: string[]): Promise<number> {
  // A command's own answer (diff, lvs: 1 = the inputs differ), when it has one.
  let answer = 0;
  const cli = yargs(joinNegativeLists(argv))
    .scriptName('codesign')
    .version(GENERATOR_VERSION)
    .strict()
    .demandCommand(1, 'name a command (codesign --help lists them)')
    .option('json', { type: 'boolean', describe: 'print results as JSON' })
    .command(
      'netlist <cell>',
      'write a cell subcircuit with a testbench that sweeps it, or the whole trained network of a run (network --run)',
      (y) =>
        y
          .positional('cell', { choices: ['soma', 'synapse', 'network'] as const, demandOption: true })
          .option('run', { type: 'string', describe: 'network: the run folder (design.json, weights.json)' })
          .option('weights', { type: 'string', describe: 'network: deploy this weights file on the run\'s die instead of its weights.json, whatever die it was trained for (recorded in weights.inc)' })
          .option('for', { choices: ['simulation', 'review'] as const, default: 'simulation' as const, describe: 'network: simulation (network.cir with per-instance mismatch) or review (the PDK\'s device cells, no mismatch: network.spice, weights.inc, codes.csv, review.json)' })
          .options(designOptions)
          .option('instances', { type: 'number', describe: 'soma instances driven by the one sweep', default: 1 })
          .option('codes', { type: 'number', array: true, describe: 'synapse weight codes, one synapse each (default -7..7)' })
          .option('output', { alias: 'o', type: 'string', describe: 'output file (default: stdout); network: output directory (default: the run folder, or <run>/review)' }),
      (a) => netlistCommand(a as never),
    )
    .command(
      'simulate <netlist>',
      'simulate a netlist (one analysis) and print or save its vectors',
      (y) =>
        y
          .positional('netlist', { type: 'string', demandOption: true })
          .option('engine', { choices: ['wasm', 'ngspice'], default: 'wasm', describe: 'wasm: ngspice in WebAssembly; ngspice: the native binary' })
          .option('pdk', { type: 'string', describe: 'PDK whose model files the netlist includes (default gf180mcu)' })
          .option('output', { alias: 'o', type: 'string', describe: 'write the vectors as CSV' })
          .option('timeout', { type: 'number', describe: 'seconds before the run is stopped' })
          .option('cache', { type: 'boolean', default: true, describe: 'reuse stored results of identical runs (--no-cache to force)' }),
      (a) => simulateCommand(a as never),
    )
    .command('pdk', 'list PDKs, export their model files, show their allowed sizes', (y) =>
      y
        .command('list', 'list the bundled PDK descriptors', {}, (a) => pdkListCommand(a as never))
        .command(
          'export <dir>',
          'write the model files of a PDK to a directory (the text native ngspice must include)',
          (z) => z.positional('dir', { type: 'string', demandOption: true }).option('pdk', { type: 'string', describe: 'PDK (default gf180mcu)' }),
          (a) => pdkExportCommand(a as never),
        )
        .command(
          'sizes <pdk>',
          'the device sizes a PDK has models for (binned PDKs such as sky130) and its reference cells',
          (z) => z.positional('pdk', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
          (a) => pdkSizesCommand(a as never),
        )
        .demandCommand(1, 'name a pdk command: list, export or sizes'),
    )
    .command(
      'characterize',
      'simulate every soma and synapse of a die and fit its per-device models (characterization.csv, models.json)',
      (y) =>
        y
          .options(designOptions)
          .option('out', { type: 'string', demandOption: true, describe: 'run folder, e.g. runs/iris-1' })
          .option('engine', { choices: ['wasm', 'ngspice'], default: 'wasm' })
          .option('cache', { type: 'boolean', default: true, describe: 'reuse stored simulation results (--no-cache to force)' }),
      (a) => characterizeCommand(a as never),
    )
    .command(
      'fit',
      'fit per-device models from a measurement CSV (a real chip, or an earlier characterization)',
      (y) =>
        y
          .options(designOptions)
          .option('measurements', { type: 'string', demandOption: true, describe: 'CSV with columns device,kind,layer,pre,post,config,point,x_a,y_a (amperes)' })
          .option('out', { type: 'string', demandOption: true, describe: 'run folder for models.json' }),
      (a) => fitCommand(a as never),
    )
    .command(
      'train',
      'train mismatch-aware 3-bit+sign codes for the die of a run, with the ideal and naive baselines (weights.json, training.json); --strategy robust: one code set for every die of a design, trained over a population of dies',
      (y) => y.options(trainOptions),
      (a) => ((a as { conditions?: string }).conditions !== undefined ? trainConditionsCommand(a as never) : trainCommand(a as never)).then(() => undefined),
    )
    .command(
      'verify',
      'simulate the trained network of a run in SPICE and compare with the fitted models (accuracy, agreement, settling, energy)',
      (y) =>
        y
          .option('run', { type: 'string', demandOption: true, describe: 'run folder (design.json, models.json, weights.json)' })
          .option('weights', { type: 'string', describe: 'deploy this weights file on the run\'s die instead of its weights.json, whatever die or models it was trained for (cross-die; recorded in verify.json)' })
          .option('mode', { choices: ['layered', 'full', 'estimate'] as const, default: 'layered' as const, describe: 'layered: each layer in DC, all test samples; full: the whole network in one transient; estimate: settling, power and energy from the reduced network (verify-estimate.json)' })
          .option('samples', { type: 'number', describe: 'test samples (default: all in layered mode, 20 in full and estimate modes)' })
          .option('period', { type: 'number', describe: 'full / estimate: time each sample is presented, s (default 20e-6 full, 100e-6 estimate)' })
          .option('max-step', { type: 'number', describe: 'full / estimate: largest transient time step, s (default period/200 full, 1e-6 estimate; MNIST settles in ~30 us, so 1e-6 reads it about as finely)' })
          .option('engine', { choices: ['wasm', 'ngspice'], default: 'wasm' })
          .option('timeout', { type: 'number', describe: 'seconds before a simulator run is stopped' })
          .option('samples-per-run', { type: 'number', describe: 'samples per simulator run (layered: per DC sweep, default 200; full: per transient, default 10; estimate: per transient, default split over the engine workers, at most 5); a failed run costs only its samples' })
          .option('dc-reference', { type: 'boolean', default: true, describe: 'full mode: also solve each sample in DC (layered) and measure settling to it; a window too short for the network shows as unsettled' })
          .option('warm-start', { type: 'boolean', default: true, describe: 'start from the operating point the fitted models predict (layered: every DC point, full: each transient; --no-warm-start: plain DC sweep / supply ramp)' })
          .option('release', { choices: ['auto', 'single', 'staged'] as const, default: 'auto' as const, describe: 'layered: how each sample leaves its start (single: all at once; staged: synapses first, then the somas, converges where single does not, e.g. at 125 C; auto: single, then staged for a netlist where a sample does not converge)' })
          .option('cache', { type: 'boolean', default: true }),
      (a) => verifyCommand(a as never),
    )
    .command(
      'run',
      'the main job: die, characterize, fit, train, verify in one command, ending in summary.json',
      (y) =>
        y
          .options(designOptions)
          .option('dataset', { choices: ['iris', 'mnist'] as const, describe: 'dataset (default iris; mnist uses the 196-50-10 preset)' })
          .option('out', { type: 'string', describe: 'run folder (default runs/<dataset>-<seed>)' })
          .option('engine', { choices: ['wasm', 'ngspice'], default: 'wasm' })
          .option('samples', { type: 'number', describe: 'test samples verified in layered SPICE (default: the whole test split)' })
          .option('energy', { choices: ['estimate', 'full', 'none'] as const, describe: `latency, power and energy: estimate (reduced network), full (whole-network transient) or none (default: estimate above ${ESTIMATE_ABOVE_TRANSISTORS} transistors, else full)` })
          .option('energy-samples', { type: 'number', alias: 'full-samples', describe: 'test samples of the energy measurement (default 20 estimate, 10 full); 0 skips it' })
          .option('energy-period', { type: 'number', describe: 'window per sample of the energy measurement, s (default 100e-6 estimate, 20e-6 full)' })
          .option('train-seed', { type: 'number', describe: 'training seed (default 1)' })
          .option('epochs', { type: 'number', describe: 'most training epochs' })
          .option('cache', { type: 'boolean', default: true }),
      (a) => runCommand(a as never),
    )
    .command(
      'lvs',
      'check with netgen that the review netlist is the circuit the simulation netlist simulates (exit 0 same, 1 not)',
      (y) =>
        y
          .option('run', { type: 'string', demandOption: true, describe: 'run folder (design.json, weights.json): its simulation netlist' })
          .option('review', { type: 'string', describe: 'review folder to check (default: the run\'s review netlist, generated)' }),
      async (a) => {
        answer = await lvsCommand(a as never);
      },
    )
    .command(
      'diff <a> <b>',
      'what differs between two run or review folders: design, devices, codes, netlist sections (exit 0 same, 1 not)',
      (y) =>
        y
          .positional('a', { type: 'string', demandOption: true })
          .positional('b', { type: 'string', demandOption: true })
          .option('context', { type: 'number', default: 3, describe: 'unchanged lines around each change in the netlist diffs' }),
      async (a) => {
        answer = await diffCommand(a as never);
      },
    )
    .command('sweep', 'sweep design fields over a grid, K dies per point: accuracy, area, energy, Pareto front (sweep.csv, sweep.json)', (y) => y.options(sweepOptions), (a) => sweepCommand(a as never).then(() => undefined))
    .command('yield', 'parametric yield: share of N independent dies whose naive, robust (one code set, trained on other dies) and aware networks meet an accuracy spec (yield.json, yield.csv)', (y) => y.options(yieldOptions), (a) => yieldCommand(a as never).then(() => undefined))
    .command('pvt', 'operating conditions: the die of a run characterized again at each temperature, supply and corner, its codes evaluated on those models and in layered SPICE (pvt.json, pvt.csv)', (y) => y.options(pvtOptions).epilog(PVT_EPILOG), (a) => pvtCommand(a as never).then(() => undefined))
    .command('worker', 'run study jobs from a Redis queue (sweep and yield with --executor redis://...) until Ctrl-C', (y) => y.options(workerOptions), (a) => workerCommand(a as never))
    .command(
      'report <dir>',
      'one self-contained HTML report of a run or study folder, plots inline (<dir>/report.html)',
      (y) => y.positional('dir', { type: 'string', demandOption: true, describe: 'run folder (codesign run, characterize, train, verify) or study folder (sweep, yield)' }).options(reportOptions),
      (a) => reportCommand(a as never).then(() => undefined),
    )
    .command(
      'demo',
      'simulate the soma and synapse cells of one die and print their transfer',
      (y) =>
        y
          .options(designOptions)
          .option('engine', { choices: ['wasm', 'ngspice'], default: 'wasm' })
          .option('instances', { type: 'number', default: 4, describe: 'soma instances' })
          .option('cache', { type: 'boolean', default: true }),
      (a) => demoCommand(a as never),
    )
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(usageMessage(msg));
    })
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100));
  try {
    await cli.parseAsync();
    return answer;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`codesign: ${e.message}\n(codesign --help for usage)\n`);
      return e.exitCode;
    }
    if (e instanceof CodesignError) {
      process.stderr.write(`codesign: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`codesign: internal error: ${err?.message ?? err}\n`);
    if (process.env.CODESIGN_DEBUG) process.stderr.write(`${err?.stack}\n`);
    else process.stderr.write('(set CODESIGN_DEBUG=1 for a stack trace)\n');
    return ExitCode.failure;
  }
}

exitOnSignals();
// A closed pipe (codesign ... | head) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const code = await main(hideBin(process.argv));
process.exitCode = code;
