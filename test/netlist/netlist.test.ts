import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench, synapseTestbench } from '../../src/netlist/index.js';

/** MOS instance lines inside one subcircuit definition. */
function mosInSubckt(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\.subckt\\s+${name}\\b`, 'i').test(l));
  const end = lines.findIndex((l, i) => i > start && /^\.ends\b/i.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  return lines.slice(start + 1, end).filter((l) => /^m/i.test(l));
}

describe('cell netlists', () => {
  const design = resolveDesign({});

  it('soma subcircuit has exactly 5 MOS devices, synapse exactly 11', () => {
    const soma = somaTestbench(design, 1).text;
    const syn = synapseTestbench(design, 1).text;
    expect(mosInSubckt(soma, 'soma')).toHaveLength(5);
    expect(mosInSubckt(syn, 'synapse')).toHaveLength(11);
    expect(mosInSubckt(syn, 'soma')).toHaveLength(5);
  });

  it('every transistor carries its own mismatch parameters, in primitive form', () => {
    const syn = synapseTestbench(design, 1, { codes: [3] }).text;
    for (const l of mosInSubckt(syn, 'synapse')) {
      expect(l).toMatch(/ (nmos|pmos)_3p3(\.\d+)? /);
      expect(l).toMatch(/delvto=\{dvt_\w+\} mulu0=\{mu_\w+\}/);
    }
    expect(syn).not.toMatch(/^x\S*\s.*\b(nmos|pmos)_3p3\b/m);
    const inst = syn.split('\n').filter((l) => /^\+ dvt_m/.test(l));
    expect(inst.length).toBe(5 + 11 + 5 + 11); // subckt defaults (soma, synapse), presynaptic soma, one synapse
  });

  it('opens with a header: generator version, PDK, corner, design hash, die seed', () => {
    const t = somaTestbench(resolveDesign({ corner: 'ss', seed: 42 }), 42).text;
    const header = t.split('\n').slice(0, 6).join('\n');
    expect(header).toMatch(/generator: codesign \d+\.\d+\.\d+/);
    expect(header).toMatch(/pdk: gf180mcu\s+corner: ss\s+models: modelcard\.GF180\.ss/);
    expect(header).toMatch(/design hash: [0-9a-f]{16}/);
    expect(header).toMatch(/die seed: 42/);
    expect(t).toMatch(/^\.include modelcard\.GF180\.ss$/m);
  });

  it('same design and seed give byte-identical netlists; another seed changes them', () => {
    const a = synapseTestbench(resolveDesign({}), 5).text;
    const b = synapseTestbench(resolveDesign({}), 5).text;
    const c = synapseTestbench(resolveDesign({}), 6).text;
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    expect(c).not.toBe(a);
    expect(somaTestbench(design, 1, { instances: 3 }).text).not.toBe(somaTestbench(design, 2, { instances: 3 }).text);
  });

  it('sizes in the netlist come from the design', () => {
    const t = somaTestbench(resolveDesign({ soma: { p: { w: '4u', l: '1u' } } }), 1).text;
    // Each line names the PDK's size bin for its W and L.
    expect(t).toMatch(/^mp_diode vp vp vdd vdd pmos_3p3\.9 w=4u l=1u /m);
    expect(t).toMatch(/^mn_in in in vss vss nmos_3p3\.8 w=2\.7u l=450n /m);
  });
});
