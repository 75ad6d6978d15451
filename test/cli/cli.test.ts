import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeTest, processesUnder, runCli, tempDir } from '../helpers.js';

const itNative = await nativeTest();

function expectCleanError(r: { code: number; stderr: string }, code: number, message: RegExp) {
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
  expect(r.stderr.trim().startsWith('codesign:')).toBe(true);
}

describe('codesign CLI', () => {
  const dir = tempDir();

  it('netlist soma writes the subcircuit with a testbench; same seed gives the same bytes', async () => {
    const a = join(dir, 'a.cir');
    const b = join(dir, 'b.cir');
    expect((await runCli(['netlist', 'soma', '--seed', '9', '-o', a])).code).toBe(0);
    expect((await runCli(['netlist', 'soma', '--seed', '9', '-o', b])).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a, 'utf8')).toMatch(/^\.subckt soma in vp vn vdd vss$/m);
  });

  it('netlist synapse --json reports what it wrote; sizes per group apply', async () => {
    const f = join(dir, 's.cir');
    const r = await runCli(['netlist', 'synapse', '--w', 'src=0.5u', '--l', 'soma.n=1u', '--codes', '3', '-7', '-o', f, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cell: 'synapse', transistors_per_cell: 11, pdk: 'gf180mcu' });
    const t = readFileSync(f, 'utf8');
    // 0.5u is a bin edge: the simulator picks that bin; 2.7u/1u lies inside bin 9.
    expect(t).toMatch(/^mp_src4 a4 vp x vdd pmos_3p3 w=500n l=540n m=4 /m);
    expect(t).toMatch(/^mn_in in in vss vss nmos_3p3\.9 w=2\.7u l=1u /m);
    expect(t).toMatch(/synapse 1: code -7/);
  });

  it('simulate runs a netlist on the wasm engine and writes CSV', async () => {
    const net = join(dir, 'soma.cir');
    await runCli(['netlist', 'soma', '--no-mismatch', '-o', net]);
    const csv = join(dir, 'out.csv');
    const r = await runCli(['simulate', net, '-o', csv, '--json', '--no-cache']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.points).toBe(46);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('i(i-sweep),i(vprobe0)');
    expect(rows).toHaveLength(47);
  });

  it('pdk list shows gf180mcu with its corners; pdk export writes the model text', async () => {
    const l = await runCli(['pdk', 'list', '--json']);
    expect(l.code).toBe(0);
    const pdks = JSON.parse(l.stdout);
    expect(pdks.find((p: { name: string }) => p.name === 'gf180mcu').corners).toEqual(['tt', 'ff', 'ss', 'fs', 'sf']);
    const out = join(dir, 'models');
    const e = await runCli(['pdk', 'export', out]);
    expect(e.code).toBe(0);
    expect(readFileSync(join(out, 'modelcard.GF180.typical'), 'utf8')).toMatch(/\.lib sm141064\.ngspice typical/);
    expect(readFileSync(join(out, 'sm141064.ngspice'), 'utf8')).toMatch(/\.model\s+nmos_3p3\.0\s+nmos/);
  });

  it('pdk sizes lists the sizes a binned PDK has models for and its reference cells', async () => {
    const r = await runCli(['pdk', 'sizes', 'sky130', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.devices.map((d: { sizes: string[] }) => d.sizes.length)).toEqual([63, 66]);
    expect(s.devices[0].sizes).toContain('3u/500n');
    expect(s.reference_sizes.synapse).toEqual({ sign: '420n/500n', src: '420n/1u', snk: '420n/1u', bit: '420n/500n' });
    const gf = JSON.parse((await runCli(['pdk', 'sizes', 'gf180mcu', '--json'])).stdout);
    expect(gf.devices.map((d: { binned: boolean }) => d.binned)).toEqual([false, false]);
  });

  describe('bad input: one clear message, a non-zero exit, no stack trace', () => {
    it('unknown PDK', async () => expectCleanError(await runCli(['netlist', 'soma', '--pdk', 'nope']), 3, /unknown PDK "nope" \(known: gf180mcu/));
    it('unknown corner', async () => expectCleanError(await runCli(['netlist', 'soma', '--corner', 'slow']), 3, /unknown corner "slow"/));
    it('W below the PDK minimum', async () => expectCleanError(await runCli(['netlist', 'soma', '--w', 'n=0.1u']), 3, /soma\.n\.w = 100n is below the gf180mcu nfet minimum 220n/));
    it('L below the PDK minimum', async () => expectCleanError(await runCli(['netlist', 'synapse', '--l', '0.1u']), 3, /synapse\.sign\.l = 100n is below/));
    it('non-numeric size', async () => expectCleanError(await runCli(['netlist', 'soma', '--l', 'p=wide']), 3, /--l p=wide: "wide" is not a number/));
    it('unknown device group', async () => expectCleanError(await runCli(['netlist', 'soma', '--w', 'q=1u']), 3, /unknown soma device group "q"/));
    it('unknown command', async () => expectCleanError(await runCli(['frobnicate']), 2, /Unknown argument|frobnicate/i));
    it('a value outside an option\'s choices names the option typed; nothing runs', async () => {
      expectCleanError(await runCli(['run', '--dataset', 'cifar', '--out', join(dir, 'cifar')]), 2, /^codesign: --dataset: "cifar" is not one of "iris", "mnist"$/m);
      expect(existsSync(join(dir, 'cifar'))).toBe(false);
    });
    it('non-positive transient step', async () => expectCleanError(await runCli(['verify', '--run', join(dir, 'nope'), '--mode', 'full', '--max-step', '0']), 3, /--max-step: expected a positive time in seconds, got 0/));
    it('missing netlist file', async () => expectCleanError(await runCli(['simulate', join(dir, 'nope.cir')]), 3, /netlist not found: .*nope\.cir/));

    it('malformed netlist names the file and line', async () => {
      const f = join(dir, 'bad.cir');
      writeFileSync(f, 'bad deck\nv1 a 0 1\nr1 a 0 1k\nqbad 1 2 nomodel\n.op\n.end\n');
      expectCleanError(await runCli(['simulate', f]), 4, new RegExp(`netlist error in ${f}:4: qbad 1 2 nomodel`));
    });

    it('a netlist that does not converge names the file', async () => {
      const f = join(dir, 'noconv.cir');
      writeFileSync(f, 'no solution\ni1 0 a dc 1m\nb1 a 0 i = v(a) > 0.5 ? 2m : 0\n.op\n.end\n');
      expectCleanError(await runCli(['simulate', f]), 5, new RegExp(`did not converge: ${f}`));
    });

    it('missing native ngspice', async () => {
      const f = join(dir, 'ok.cir');
      writeFileSync(f, 'ok\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n');
      expectCleanError(await runCli(['simulate', f, '--engine', 'ngspice'], { NGSPICE: '/nonexistent/ngspice' }), 7, /ngspice not found: .*apt-get install -y ngspice/);
    });
  });

  itNative('simulate --engine ngspice gives the same vectors as wasm', async () => {
    const net = join(dir, 'cmp.cir');
    await runCli(['netlist', 'soma', '--seed', '4', '-o', net]);
    const w = JSON.parse((await runCli(['simulate', net, '--json', '--no-cache'])).stdout);
    const n = JSON.parse((await runCli(['simulate', net, '--json', '--no-cache', '--engine', 'ngspice'])).stdout);
    const a: number[] = w.vectors['i(vprobe0)'];
    const b: number[] = n.vectors['i(vprobe0)'];
    a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(x), 1e-12)));
    expect(existsSync(net)).toBe(true);
  });

  /**
   * Starts `codesign ARGS` with its own TMPDIR and simulation cache, stops it with SIGTERM once an ngspice run is in
   * progress (its deck is somewhere under TMPDIR), and returns the exit code and what codesign
   * left in TMPDIR.
   */
  async function stoppedMidRun(args: string[]): Promise<{ code: number | null; left: string[]; running: string[] }> {
    const tmp = tempDir('codesign-test-signal-');
    // An empty simulation cache of its own: every run is simulated.
    const env = { ...process.env, TMPDIR: tmp, CODESIGN_CACHE: tempDir('codesign-test-signal-cache-') };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env, stdio: 'ignore' });
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const decks = () => readdirSync(tmp, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('deck.cir'));
    const started = Date.now();
    while (decks().length === 0 && child.exitCode === null && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 50));
    expect(decks().length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    const code = await exit;
    // No folder left (tsx keeps its own cache there), and no simulator still running on a deck of the stopped process.
    return { code, left: readdirSync(tmp).filter((f) => f.startsWith('codesign')), running: processesUnder(tmp) };
  }

  itNative('stopped by SIGTERM while ngspice runs: exit code 143, no run folder left behind', async () => {
    const net = join(dir, 'slow.cir');
    // Ten million DC points of a diode: seconds of ngspice, long enough to be stopped mid-run.
    writeFileSync(net, 'slow\nv1 a 0 0\nr1 a b 1k\nd1 b 0 dmod\n.model dmod d\n.dc v1 0 1 1e-7\n.end\n');
    expect(await stoppedMidRun(['simulate', net, '--engine', 'ngspice', '--no-cache'])).toEqual({ code: 143, left: [], running: [] });
  });

  itNative('a study stopped while its worker threads run ngspice leaves no run folder and no simulator behind either', async () => {
    // The dies run on worker threads, whose own exit hooks a process's exit skips: their run folders sit in the main thread's scratch folder.
    const out = join(dir, 'stopped-yield');
    expect(await stoppedMidRun(['yield', '--dies', '2', '--spec', '0.9', '--strategies', 'naive,aware', '--engine', 'ngspice', '--verify', 'none', '--out', out])).toEqual({ code: 143, left: [], running: [] });
  }, 180_000);
});

describe('codesign characterize and fit', () => {
  const dir = tempDir();

  it('characterize writes the run folder and a summary; fit refits from its CSV', async () => {
    const out = join(dir, 'run');
    const r = await runCli(['characterize', '--layers', '2,2,2', '--seed', '3', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ somas: 6, synapses: 8, stats: { batches: 3, simulated: 3, skipped: 0 } });
    for (const f of ['design.json', 'characterization.csv', 'characterization.json', 'models.json']) expect(existsSync(join(out, f))).toBe(true);
    const again = await runCli(['characterize', '--layers', '2,2,2', '--seed', '3', '--out', out, '--json']);
    expect(JSON.parse(again.stdout).stats).toMatchObject({ simulated: 0, skipped: 3 });
    const refit = join(dir, 'refit');
    const f = await runCli(['fit', '--measurements', join(out, 'characterization.csv'), '--out', refit]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/characterized 6 somas and 8 synapses/);
    expect(f.stdout).toMatch(/soma a\s+6\s/);
  });

  it('bad input: a layer of size 0 and an unreadable measurement file', async () => {
    expectCleanError(await runCli(['characterize', '--layers', '4,0,3', '--out', join(dir, 'x')]), 3, /layers\.1: a layer needs at least one soma/);
    expectCleanError(await runCli(['characterize', '--layers', '4,a,3', '--out', join(dir, 'x')]), 3, /--layers: expected whole numbers/);
    expectCleanError(await runCli(['fit', '--measurements', join(dir, 'none.csv'), '--out', join(dir, 'y')]), 3, /measurement file not found/);
    expect(existsSync(join(dir, 'x', 'models.json'))).toBe(false);
  });
});
