import { CELLS, type CellName, type Design } from '../design/index.js';
import { coefficientsFor, drawInstance, type InstanceMismatch } from '../mismatch/index.js';
import { modelFor, type DeviceType } from '../pdk/index.js';
import { formatNumber, formatSi } from '../util/si.js';
import { GENERATOR_VERSION } from '../util/version.js';

/** Solver options written into every testbench; tight tolerances because signals are nA. */
export interface SimOptions {
  gmin: number;
  abstol: number;
  reltol: number;
  vntol: number;
  /**
   * Use ngspice's KLU matrix solver. Sparse 1.3, the default, orders the matrix by a
   * Markowitz search that grows faster than the circuit: 17.6 s for 1,000 MNIST synapses,
   * 60 s for 2,000; the whole 10,300-synapse network's transient did not finish in 41 minutes.
   * ngspice builds without KLU (Debian's ngspice 39) ignore the option.
   */
  klu?: boolean;
  /**
   * Device bypass: a transistor whose terminal voltages moved less than the tolerances since
   * the last iteration keeps its last evaluation. Off by default in ngspice. Results stay
   * within the tolerances (layered MNIST: gate voltages within 3e-12 V of the exact solve).
   */
  bypass?: boolean;
  /** Print run statistics (`acct`): native runs then report their Newton iterations. */
  stats?: boolean;
  /**
   * Newton iterations a DC sweep point may take before ngspice gives up on it and falls back
   * to gmin stepping (`itl2`; ngspice's default 50).
   */
  sweepIterations?: number;
}

export const DEFAULT_OPTIONS: SimOptions = { gmin: 1e-12, abstol: 1e-15, reltol: 1e-6, vntol: 1e-9 };

export function optionsLine(o: SimOptions): string {
  return `gmin=${formatNumber(o.gmin)} abstol=${formatNumber(o.abstol)} reltol=${formatNumber(o.reltol)} vntol=${formatNumber(o.vntol)}${o.klu ? ' klu' : ''}${o.bypass ? ' bypass=1' : ''}${o.stats ? ' acct' : ''}${o.sweepIterations ? ` itl2=${o.sweepIterations}` : ''}`;
}

/** Header and preamble fields shared by every generated file. */
export function commonData(design: Design, seed: number, title: string, options: SimOptions = DEFAULT_OPTIONS) {
  const mm = design.config.mismatch;
  // The A_VT the design's devices of a type get (several where a binned PDK differs by bin).
  const avt = (t: 'nfet' | 'pfet') => {
    const used = new Set<string>();
    for (const cell of Object.keys(CELLS) as CellName[])
      for (const d of CELLS[cell]) if (d.type === t) used.add(formatNumber(coefficientsFor(design.pdk.devices[t], mm, design.sizes[cell][d.group]).avt * 1e9));
    return [...used].join(',');
  };
  return {
    title,
    version: GENERATOR_VERSION,
    design: design.config.name,
    designHash: design.hash,
    pdk: design.pdk.name,
    corner: design.config.corner,
    modelInclude: design.modelInclude,
    modelLines: design.modelLines,
    vdd: formatNumber(design.vdd),
    supply: `dc ${formatNumber(design.vdd)}`,
    temperature: formatNumber(design.config.temperature),
    seed,
    mismatch: mm.enabled ? `on (Pelgrom, A_VT nfet ${avt('nfet')} / pfet ${avt('pfet')} mV*um)` : 'off (nominal devices)',
    options: optionsLine(options),
    ...cellData(design),
  };
}

/** Device rows of each cell (model, size, multiplier) for the subcircuit templates. */
function cellData(design: Design) {
  const rows = (cell: CellName) =>
    Object.fromEntries(
      CELLS[cell].map((d) => {
        const s = design.sizes[cell][d.group];
        return [d.name, { name: d.name, role: d.role, model: deviceModel(design, d.type, s.w, s.l), w: formatSi(s.w), l: formatSi(s.l), m: d.m }];
      }),
    );
  const nominal = (cell: CellName) => CELLS[cell].map((d) => ({ name: d.name, dvt: '0', mu: '1' }));
  return {
    somaCell: { dev: rows('soma'), nominal: nominal('soma') },
    synapseCell: { dev: rows('synapse'), nominal: nominal('synapse') },
  };
}

/** The per-device parameter rows of one instance, formatted for the netlist. */
export function instanceParams(cell: CellName, mm: InstanceMismatch) {
  return CELLS[cell].map((d) => ({ name: d.name, dvt: formatNumber(mm[d.name].dvt), mu: formatNumber(mm[d.name].mu) }));
}

/** An instance's parameters: given explicitly, or drawn from the die at its path. */
export function instanceData(design: Design, seed: number, cell: CellName, path: string, mismatch?: InstanceMismatch) {
  return { path, devices: instanceParams(cell, mismatch ?? drawInstance(design, seed, cell, path)) };
}

/** The model a transistor of this type and size names on its line: its size bin's card where the PDK lists bins. */
export function deviceModel(design: Design, type: DeviceType, w: number, l: number): string {
  return modelFor(design.pdk, type, w, l);
}

/** Model and size of a single-transistor cell, formatted. */
export function deviceData(design: Design, cell: CellName) {
  const dev = CELLS[cell][0];
  const s = design.sizes[cell][dev.group];
  return { model: deviceModel(design, dev.type, s.w, s.l), w: formatSi(s.w), l: formatSi(s.l) };
}
