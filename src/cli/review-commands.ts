/**
 * The reviewer's commands: `netlist network --for review` (the review folder of a run),
 * `lvs` (netgen: review netlist against simulation netlist) and `diff` (two run or review
 * folders). They parse arguments, call src/verify and print; `diff` and `lvs` answer like
 * `diff`: exit code 0 when the same, 1 when not.
 */
import { join, resolve } from 'node:path';
import { ConfigError, diffFolders, formatNumber, lvsNetwork, readFolderNetwork, readRunNetwork, writeReview, type FolderDiff } from '../index.js';

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** `codesign netlist network --run <run> --for review -o <dir>`: network.spice, weights.inc, codes.csv, review.json. */
export async function reviewFolderCommand(a: { run: string; output?: string; json?: boolean; weights?: string }): Promise<void> {
  const dir = resolve(a.output ?? join(a.run, 'review'));
  const { files, manifest } = await writeReview(a.run, dir, a.weights);
  if (a.json) {
    out(JSON.stringify({ dir, files, transistors: manifest.transistors.network, gate_area_um2: manifest.gate_area_um2, limits_ok: manifest.limits_ok }, null, 2));
    return;
  }
  const t = manifest.transistors;
  out(`wrote the review folder ${dir}: ${files.map((f) => f.slice(dir.length + 1)).join(', ')}`);
  out(`${manifest.network} network, ${t.network.total} transistors (${t.network.nfet} ${manifest.pdk.device_cells.nfet}, ${t.network.pfet} ${manifest.pdk.device_cells.pfet}; ${t.units_network.total} unit instances), gate area ${formatNumber(manifest.gate_area_um2, 6)} um^2, PDK limits ${manifest.limits_ok ? 'met' : 'VIOLATED'}`);
  for (const r of manifest.devices.filter((d) => d.violations.length > 0)) out(`  ${r.cell}.${r.group} ${r.type}: ${r.violations.join(', ')}`);
}

/** `codesign lvs --run <run> [--review <dir>]`: netgen on the review netlist (of the run, or a review folder) against the run's simulation netlist. */
export async function lvsCommand(a: { run: string; review?: string; json?: boolean }): Promise<number> {
  const { design, seed, codes } = readRunNetwork(a.run);
  let review;
  if (a.review) {
    const folder = await readFolderNetwork(a.review);
    if (folder.kind !== 'review') throw new ConfigError(`--review ${a.review}: not a review folder (no review.json); write one with codesign netlist network --for review`);
    review = folder.netlists;
  }
  const r = await lvsNetwork(design, seed, codes, { review });
  if (a.json) out(JSON.stringify({ equivalent: r.equivalent, result: r.result, property_errors: r.propertyErrors, pin_errors: r.pinErrors, netgen: r.netgen, elapsed_s: r.elapsedMs / 1000 }, null, 2));
  else {
    out(`netgen ${r.netgen}: ${r.result}${r.propertyErrors ? ' Property errors were found.' : ''}${r.pinErrors ? ' Pins matched to pins of other names.' : ''} (${(r.elapsedMs / 1000).toFixed(1)} s)`);
    out(r.equivalent ? 'the review netlist and the simulation netlist are the same circuit' : `the netlists differ; netgen's log:\n${r.log}`);
  }
  return r.equivalent ? 0 : 1;
}

const show = (v: unknown) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
const signed = (c: number) => (c > 0 ? `+${c}` : String(c));

/** The diff as text, in the order a reviewer reads it. */
export function formatDiff(d: FolderDiff): string {
  const lines = [`A: ${d.a.dir} (${d.a.kind})`, `B: ${d.b.dir} (${d.b.kind})`];
  const fields = (what: string, xs: FolderDiff['design']) => {
    lines.push(xs.length === 0 ? `${what}: identical` : `${what}: ${xs.length} field${xs.length > 1 ? 's' : ''} differ${xs.length > 1 ? '' : 's'}`);
    for (const x of xs) lines.push(`  ${x.field}: ${show(x.a)} -> ${show(x.b)}`);
  };
  fields('design', d.design);
  fields('devices', d.devices);
  fields('provenance', d.provenance);
  if (!d.codes.comparable) lines.push('codes: the networks differ in shape, codes not compared');
  else if (d.codes.changed.length === 0) lines.push(`codes: identical (${d.codes.synapses} synapses)`);
  else {
    lines.push(`codes: ${d.codes.changed.length} of ${d.codes.synapses} synapses differ (layer presynaptic postsynaptic: A -> B)`);
    for (const c of d.codes.changed) lines.push(`  ${c.layer} ${c.presynaptic} ${c.postsynaptic}: ${signed(c.a)} -> ${signed(c.b)}`);
  }
  const n = d.netlist.changed.length;
  lines.push(n === 0 ? `netlist: identical (${d.netlist.sections} sections)` : `netlist: ${n} of ${d.netlist.sections} sections differ: ${d.netlist.changed.map((s) => `${s.file} ${s.section}`).join(', ')}`);
  for (const s of d.netlist.changed) lines.push(s.diff);
  return lines.join('\n');
}

/** `codesign diff <A> <B>`: exit code 0 when the folders hold the same network, 1 when not. */
export async function diffCommand(a: { a: string; b: string; context?: number; json?: boolean }): Promise<number> {
  const d = await diffFolders(a.a, a.b, { context: a.context });
  out(a.json ? JSON.stringify(d, null, 2) : formatDiff(d));
  return d.identical ? 0 : 1;
}
