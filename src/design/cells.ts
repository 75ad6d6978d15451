import type { DeviceType } from '../pdk/index.js';

/**
 * The transistors of each cell, as data: which devices exist, their type, the size group
 * whose W/L they take, and their parallel multiplier. Connections live in the templates
 * (netlists/cells/*.sp.hbs); names here must match the instance names there.
 */
export interface CellDevice {
  name: string;
  type: DeviceType;
  group: string;
  m: number;
  /** One line for reviewers: what the device does (written as a netlist comment). */
  role: string;
}

export type CellName = 'soma' | 'synapse' | 'readout';

export const CELLS: Record<CellName, readonly CellDevice[]> = {
  soma: [
    { name: 'mn_in', type: 'nfet', group: 'n', m: 1, role: 'diode on the input: sinks the summed input current (the ReLU)' },
    { name: 'mn_copy', type: 'nfet', group: 'n', m: 1, role: 'copies the input current' },
    { name: 'mp_diode', type: 'pfet', group: 'p', m: 1, role: 'diode on vp: vp encodes the output for pFET mirrors' },
    { name: 'mp_copy', type: 'pfet', group: 'p', m: 1, role: 'copies the current again' },
    { name: 'mn_out', type: 'nfet', group: 'n', m: 1, role: 'diode on vn: vn encodes the output for nFET mirrors' },
  ],
  synapse: [
    { name: 'mp_sign', type: 'pfet', group: 'sign', m: 1, role: 'sign switch vdd -> x, on for excitatory (sign gate low)' },
    { name: 'mn_sign', type: 'nfet', group: 'sign', m: 1, role: 'sign switch y -> vss, on for inhibitory (sign gate high)' },
    { name: 'mp_src4', type: 'pfet', group: 'src', m: 4, role: 'current source x4, gate = presynaptic vp' },
    { name: 'mp_src2', type: 'pfet', group: 'src', m: 2, role: 'current source x2' },
    { name: 'mp_src1', type: 'pfet', group: 'src', m: 1, role: 'current source x1' },
    { name: 'mn_snk4', type: 'nfet', group: 'snk', m: 4, role: 'current sink x4, gate = presynaptic vn' },
    { name: 'mn_snk2', type: 'nfet', group: 'snk', m: 2, role: 'current sink x2' },
    { name: 'mn_snk1', type: 'nfet', group: 'snk', m: 1, role: 'current sink x1' },
    { name: 'mn_bit4', type: 'nfet', group: 'bit', m: 1, role: 'bit switch a4 -> out, gate = magnitude MSB' },
    { name: 'mn_bit2', type: 'nfet', group: 'bit', m: 1, role: 'bit switch a2 -> out' },
    { name: 'mn_bit1', type: 'nfet', group: 'bit', m: 1, role: 'bit switch a1 -> out, gate = magnitude LSB' },
  ],
  // The documented extra of the network: one per output neuron, reading its class current.
  readout: [{ name: 'mn_read', type: 'nfet', group: 'n', m: 1, role: 'output readout: gate = the soma input, drain to a 0 V probe at vdd' }],
};

/** Size groups of each cell, in a stable order. */
export function cellGroups(cell: CellName): string[] {
  return [...new Set(CELLS[cell].map((d) => d.group))];
}
