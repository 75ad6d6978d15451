import { resolveDesign } from '../../src/design/index.js';
import { Stream } from '../../src/mismatch/index.js';
import { ConfigError } from '../../src/util/errors.js';
import { lvsNetwork, lvsView, netgenSetup, readRunNetwork, reviewLvsDeck, reviewNetlist, reviewWeights, runNetgen, simulationDeck, type Codes } from '../../src/verify/index.js';
import { runCli } from '../helpers.js';
import { netgenTest } from './netgen.js';
import { trainedIrisRun } from './review-fixture.js';

const itNetgen = await netgenTest();

/** Seeded codes in -7..7 for a network shape. */
function randomCodes(layers: number[], key: string): Codes {
  const s = new Stream(key);
  return layers.slice(0, -1).map((n, k) => Array.from({ length: n }, () => Array.from({ length: layers[k + 1] }, () => Math.round(s.uniform() * 14 - 7))));
}

describe('the simulation netlist as netgen reads it (lvsView)', () => {
  const design = resolveDesign({ layers: [3, 2, 2] });
  const codes = randomCodes([3, 2, 2], 'test/lvs-view');
  const view = lvsView(simulationDeck(design, 1, codes));

  it('keeps the devices with w, l and m, drops the mismatch, the sources and the simulator cards, and makes the ties connections', () => {
    expect(view).not.toMatch(/delvto|mulu0|dvt_|mu_|^\.include|^\.option|^\.temp|^v|^i|^r/m);
    expect(view).toMatch(/^xmp_src4 a4 vp x vdd pmos_3p3 w=270n l=540n m=4$/m);
    expect(view).toMatch(/^\.subckt synapse vp vn out sign b4 b2 b1 vdd vss$/m);
    expect(view).toMatch(/^\.subckt top vdd vss s0_0 s0_1 s0_2 r_0 r_1$/m);
    const c = codes[0][1][0], m = Math.abs(c);
    const bits = [c < 0, m & 4, m & 2, m & 1].map((b) => (b ? 'vdd' : 'vss')).join(' ');
    expect(view).toContain(`xw0_1_0 s0_1_vp s0_1_vn s1_0 ${bits} vdd vss synapse`);
  });

  it('refuses elements a network netlist does not have', () => {
    expect(() => lvsView(`* x\n.subckt a p q\nc1 p q 1p\n.ends a\n`)).toThrow(ConfigError);
    expect(() => lvsView(`* x\n.subckt a p q\nc1 p q 1p\n.ends a\n`)).toThrow(/line 3: element "c1"/);
  });
});

describe('LVS with netgen', () => {
  itNetgen('finds the review netlist and the simulation netlist of a trained Iris network the same circuit, and codesign lvs says so', async () => {
    const run = await trainedIrisRun(1);
    const { design, seed, codes } = readRunNetwork(run);
    const r = await lvsNetwork(design, seed, codes);
    expect(r).toMatchObject({ equivalent: true, result: 'Circuits match uniquely.', propertyErrors: false, pinErrors: false });
    const cli = await runCli(['lvs', '--run', run]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/netgen [\d.]+: Circuits match uniquely\./);
  });

  itNetgen('catches a flipped weight bit, a changed W, a missing unit device, a gate on the wrong bit and swapped pins', async () => {
    const layers = [5, 10, 3];
    const design = resolveDesign({ layers });
    const codes = randomCodes(layers, 'test/lvs');
    const net = reviewNetlist(design), w = reviewWeights(design, 1, codes);
    const sim = lvsView(simulationDeck(design, 1, codes));
    const setup = netgenSetup(design);
    const check = (n: string, ww: string) => runNetgen(reviewLvsDeck(design, { 'network.spice': n, 'weights.inc': ww }), sim, setup);
    const edit = (text: string, from: string | RegExp, to: string) => {
      const out = text.replace(from, to);
      expect(out).not.toBe(text);
      return out;
    };
    const swap = (text: string, a: string, b: string) => edit(edit(edit(text, a, '@@'), b, a), '@@', b);
    expect((await check(net, w)).equivalent).toBe(true);
    const bit = /^(xw0_1_2 \S+ \S+ \S+ \S+ )(\S+)/m.exec(w)!;
    const flipped = await check(net, edit(w, bit[0], bit[1] + (bit[2] === 'vdd' ? 'vss' : 'vdd')));
    expect(flipped).toMatchObject({ equivalent: false, result: 'Netlists do not match.' });
    expect(await check(edit(net, 'xmp_src1 a1 vp x vdd pfet_03v3 w=270n', 'xmp_src1 a1 vp x vdd pfet_03v3 w=280n'), w)).toMatchObject({ equivalent: false, propertyErrors: true });
    expect(await check(edit(net, /^xmn_snk4_4 .*\n/m, ''), w)).toMatchObject({ equivalent: false, propertyErrors: true });
    expect((await check(edit(net, 'xmn_bit2 a2 b2 out', 'xmn_bit2 a2 b1 out'), w)).equivalent).toBe(false);
    expect(await check(swap(net, 'xs0_0 in_0 ', 'xs0_1 in_1 '), w)).toMatchObject({ equivalent: false, pinErrors: true });
    expect(await check(swap(net, 'xmr_0 out_0 ', 'xmr_1 out_1 '), w)).toMatchObject({ equivalent: false, pinErrors: true });
  });

  itNetgen('finds the MNIST 196-50-10 review and simulation netlists the same circuit (114,590 transistors)', async () => {
    const layers = [196, 50, 10];
    const design = resolveDesign({ layers });
    const r = await lvsNetwork(design, 1, randomCodes(layers, 'test/lvs-mnist'));
    expect(r).toMatchObject({ equivalent: true, result: 'Circuits match uniquely.' });
  }, 900_000);
});
