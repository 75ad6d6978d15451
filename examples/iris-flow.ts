/**
 * The Iris flow through codesign's library API, stage by stage: one die of the default design
 * (5-10-3: four features plus a constant-current bias input) characterized in SPICE and fitted,
 * trained mismatch-aware next to its baselines, verified in layered SPICE, then the HTML report.
 * `runFlow(engine, design, out)` does the same in one call (what `codesign run` runs).
 *
 *   npx tsx examples/iris-flow.ts [run folder] [--seed N] [--epochs N] [--samples N]
 *
 * Defaults: runs/iris-api, die seed 1, the dataset's epochs, the whole test split (30 samples).
 * Engine: ngspice in WebAssembly (eecircuit-engine), so no native tools are needed.
 */
import { characterizeAndFit, CodesignError, createEngine, resolveDesign, trainRunFull, verifyRun, writeReport, type VerifyResult } from 'codesign';

function option(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

const out = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'runs/iris-api';
const design = resolveDesign({ seed: option('seed') ?? 1 });
const engine = await createEngine('wasm', design.pdk);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
try {
  const fit = await characterizeAndFit(engine, design, out);
  console.log(`die ${design.config.seed}: ${fit.summary.somas} somas, ${fit.summary.synapses} synapses characterized and fitted (models.json)`);

  const { training } = await trainRunFull(out, { dataset: 'iris', epochs: option('epochs') });
  for (const b of training.baselines) console.log(`  ${b.name.padEnd(16)} ${pct(b.test_accuracy)} (fitted models)`);

  const v: VerifyResult = await verifyRun(engine, out, { mode: 'layered', samples: option('samples') });
  console.log(`layered SPICE, ${v.samples} test samples: accuracy ${pct(v.accuracy.spice)}, models ${pct(v.accuracy.model)}, agreement ${pct(v.agreement)}`);
  console.log(`made from die ${v.provenance.die_seed} (design ${v.provenance.design_hash}), models.json ${v.provenance.models_hash.slice(0, 12)}, weights ${v.provenance.weights.file}`);

  const report = await writeReport(out, { engine });
  console.log(`report: ${report.path} (${report.plots.length} plots)`);
} catch (e) {
  // Errors the user can act on carry an exit code (3: bad input, 5: no convergence, ...).
  if (!(e instanceof CodesignError)) throw e;
  console.error(e.message);
  process.exitCode = e.exitCode;
} finally {
  await engine.close();
}
