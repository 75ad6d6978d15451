import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { weightsSchema } from '../../src/train/index.js';
import { diffFolders, writeReview } from '../../src/verify/index.js';
import { runCli, tempDir } from '../helpers.js';
import { trainedIrisRun } from './review-fixture.js';

const codesOf = (run: string) => weightsSchema.parse(JSON.parse(readFileSync(join(run, 'weights.json'), 'utf8'))).codes;

describe('codesign diff', () => {
  let runA: string, runB: string, revA: string, revB: string;
  beforeAll(async () => {
    runA = await trainedIrisRun(1);
    runB = await trainedIrisRun(2); // the same die, retrained with another seed
    revA = (await writeReview(runA, tempDir())).dir;
    revB = (await writeReview(runB, tempDir())).dir;
  });

  it('after retraining with another seed lists exactly the synapses whose codes changed, and only weights.inc differs', async () => {
    const a = codesOf(runA), b = codesOf(runB);
    const expected = a.flatMap((m, layer) => m.flatMap((row, i) => row.flatMap((c, j) => (c !== b[layer][i][j] ? [{ layer, presynaptic: i, postsynaptic: j, a: c, b: b[layer][i][j] }] : []))));
    expect(expected.length).toBeGreaterThan(0);
    const r = await runCli(['diff', revA, revB, '--json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.codes.changed).toEqual(expected);
    expect(d).toMatchObject({ identical: false, design: [], devices: [], provenance: [], codes: { comparable: true, synapses: 80 } });
    expect(d.netlist.changed.map((s: { file: string }) => s.file)).toEqual(expect.arrayContaining(['weights.inc']));
    expect(d.netlist.changed.every((s: { file: string }) => s.file === 'weights.inc')).toBe(true);
    // The run folders give the same answer, and the text lists one line per changed synapse.
    const text = await runCli(['diff', runA, runB]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`codes: ${expected.length} of 80 synapses differ`);
    const listed = text.stdout.split('\n').filter((l) => /^ {2}\d+ \d+ \d+: [-+]?\d+ -> [-+]?\d+$/.test(l));
    const sign = (c: number) => (c > 0 ? `+${c}` : String(c));
    expect(listed).toEqual(expected.map((c) => `  ${c.layer} ${c.presynaptic} ${c.postsynaptic}: ${sign(c.a)} -> ${sign(c.b)}`));
    const first = expected[0];
    expect(text.stdout).toMatch(new RegExp(`^-\\* w${first.layer}_${first.presynaptic}_${first.postsynaptic}: code ${sign(first.a).replace('+', '\\+')}$`, 'm'));
  });

  it('exits 0 for a run and its own review folder, and for a regenerated folder', async () => {
    const r = await runCli(['diff', runA, revA]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/codes: identical \(80 synapses\)\nnetlist: identical \(\d+ sections\)/);
    const again = (await writeReview(runA, tempDir())).dir;
    expect((await diffFolders(revA, again)).identical).toBe(true);
  });

  it('shows a changed device size as a design field, a device-table row and a diff of the synapse cell', async () => {
    const wide = tempDir();
    const design = JSON.parse(readFileSync(join(runA, 'design.json'), 'utf8'));
    writeFileSync(join(wide, 'design.json'), JSON.stringify({ ...design, synapse: { ...design.synapse, src: { w: '0.54u', l: '0.54u' } } }));
    // The same codes deployed on the wider design on purpose (--weights): run A's review against the wide one's.
    const revWide = (await writeReview(wide, tempDir(), join(runA, 'weights.json'))).dir;
    const d = await diffFolders(revA, revWide);
    expect(d.design).toEqual([{ field: 'synapse.src.w', a: '0.27u', b: '0.54u' }]);
    expect(d.devices).toEqual([{ field: 'synapse.src.pfet.w', a: '270n', b: '540n' }]);
    expect(d.codes.changed).toEqual([]);
    const syn = d.netlist.changed.find((s) => s.section === '.subckt synapse')!;
    expect(syn.diff).toMatch(/^-xmp_src1 a1 vp x vdd pfet_03v3 w=270n l=540n/m);
    expect(syn.diff).toMatch(/^\+xmp_src1 a1 vp x vdd pfet_03v3 w=540n l=540n/m);
  });

  it('a missing folder is a config error (exit 3), as is a folder that is neither kind', async () => {
    const r = await runCli(['diff', revA, join(tempDir(), 'nothing')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/nothing: no such folder/);
    const empty = await runCli(['diff', tempDir(), revA]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/neither a review folder \(review\.json\) nor a run folder/);
  });
});
