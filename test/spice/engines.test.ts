import { resolveDesign } from '../../src/design/index.js';
import { somaTestbench, synapseTestbench } from '../../src/netlist/index.js';
import { CachedEngine, createEngine, parseRaw, WasmEngine, type Engine } from '../../src/spice/index.js';
import { ConvergenceError, NetlistError, SimTimeoutError, SimulatorMissingError } from '../../src/util/errors.js';
import { nativeTest, tempDir } from '../helpers.js';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const design = resolveDesign({});
const itNative = await nativeTest();
const MALFORMED = 'malformed\nv1 a 0 1\nr1 a 0 1k\nqbad 1 2 nomodel\n.op\n.end\n';
// No DC solution exists: 1 mA flows into node a, and the element there sinks 2 mA or nothing.
const NO_SOLUTION = 'no solution\ni1 0 a dc 1m\nb1 a 0 i = v(a) > 0.5 ? 2m : 0\n.op\n.end\n';

function maxRelDiff(a: Float64Array, b: Float64Array, floor: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), floor));
  return worst;
}

describe('wasm engine', () => {
  let wasm: Engine;
  const failDir = tempDir();
  beforeAll(() => {
    wasm = new WasmEngine({ workers: 2, failDir });
  });
  afterAll(() => wasm.close());

  it('runs a soma testbench and returns named vectors', async () => {
    const tb = somaTestbench(design, 1, { instances: 2 });
    const r = await wasm.run({ netlist: tb.text });
    expect(r.scale).toBe('i(i-sweep)');
    expect(r.points).toBe(46);
    for (const o of tb.outputs) expect(r.vectors[o]).toHaveLength(46);
  });

  it('a malformed netlist is a NetlistError naming the saved netlist and the offending line', async () => {
    const err = await wasm.run({ netlist: MALFORMED, label: 'bad' }).catch((e) => e);
    expect(err).toBeInstanceOf(NetlistError);
    expect(err.location.line).toBe(4);
    expect(err.location.lineText).toBe('qbad 1 2 nomodel');
    expect(readFileSync(err.location.netlistPath, 'utf8')).toBe(MALFORMED);
    expect(err.message).toContain(`${err.location.netlistPath}:4`);
  });

  it('a netlist without a DC solution is a ConvergenceError, and the engine keeps working', async () => {
    const err = await wasm.run({ netlist: NO_SOLUTION, label: 'noconv' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConvergenceError);
    expect(err.message).toMatch(/timestep too small/i);
    expect(existsSync(err.location.netlistPath)).toBe(true);
    const ok = await wasm.run({ netlist: somaTestbench(design, 1).text });
    expect(ok.points).toBe(46);
  });

  it('a run past its timeout is stopped with SimTimeoutError and the pool recovers', async () => {
    const big = somaTestbench(design, 1, { instances: 400, sweep: { start: 0, stop: 80e-9, step: 0.05e-9 } });
    const err = await wasm.run({ netlist: big.text, label: 'slow', timeoutMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(SimTimeoutError);
    const ok = await wasm.run({ netlist: somaTestbench(design, 2).text });
    expect(ok.points).toBe(46);
  });

  it('the result cache makes a repeated run cost no simulation', async () => {
    const cached = new CachedEngine(wasm, tempDir());
    const text = somaTestbench(design, 3).text;
    const a = await cached.run({ netlist: text });
    const b = await cached.run({ netlist: text });
    expect(cached.stats).toEqual({ runs: 1, hits: 1 });
    expect(b.cached).toBe(true);
    expect(Array.from(b.vectors['i(vprobe0)'])).toEqual(Array.from(a.vectors['i(vprobe0)']));
  });
});

describe('native ngspice engine', () => {
  let wasm: Engine;
  let native: Engine | undefined;
  beforeAll(async () => {
    wasm = new WasmEngine({ workers: 1 });
  });
  afterAll(async () => {
    await wasm.close();
    await native?.close();
  });

  const getNative = async () => (native ??= await createEngine('ngspice', design.pdk, { cache: false }));

  it('missing native ngspice is a SimulatorMissingError that says how to install it', async () => {
    const old = process.env.NGSPICE;
    process.env.NGSPICE = '/nonexistent/ngspice';
    try {
      const err = await createEngine('ngspice', design.pdk, { cache: false }).catch((e) => e);
      expect(err).toBeInstanceOf(SimulatorMissingError);
      expect(err.message).toMatch(/apt-get install -y ngspice/);
    } finally {
      if (old === undefined) delete process.env.NGSPICE;
      else process.env.NGSPICE = old;
    }
  });

  describe('with ngspice installed', () => {
    itNative('both engines agree on the same netlists: branch currents within 1e-6 relative', async () => {
      const n = await getNative();
      // Currents below 1 pA (off devices, leakage) are compared against a 1 pA floor.
      for (const tb of [somaTestbench(design, 11, { instances: 3 }), synapseTestbench(design, 11)]) {
        const [a, b] = await Promise.all([wasm.run({ netlist: tb.text }), n.run({ netlist: tb.text })]);
        expect(b.names.sort()).toEqual(a.names.sort());
        const currents = a.names.filter((k) => k.startsWith('i('));
        expect(currents.length).toBeGreaterThan(2);
        for (const k of currents) expect(maxRelDiff(a.vectors[k], b.vectors[k], 1e-12)).toBeLessThan(1e-6);
      }
    });

    itNative('sky130 (its derived library in the wasm file system, on disk for native): both engines agree within 1e-6', async () => {
      const sky = resolveDesign({ pdk: 'sky130' });
      const [w, n] = await Promise.all([createEngine('wasm', sky.pdk, { cache: false, workers: 1 }), createEngine('ngspice', sky.pdk, { cache: false, workers: 1 })]);
      try {
        for (const tb of [somaTestbench(sky, 11, { instances: 3 }), synapseTestbench(sky, 11)]) {
          const [a, b] = await Promise.all([w.run({ netlist: tb.text }), n.run({ netlist: tb.text })]);
          const currents = a.names.filter((k) => k.startsWith('i('));
          expect(currents.length).toBeGreaterThan(2);
          for (const k of currents) expect(maxRelDiff(a.vectors[k], b.vectors[k], 1e-12)).toBeLessThan(1e-6);
        }
      } finally {
        await Promise.all([w.close(), n.close()]);
      }
    });

    itNative('native errors are typed the same way', async () => {
      const n = await getNative();
      const bad = await n.run({ netlist: MALFORMED, label: 'bad' }).catch((e) => e);
      expect(bad).toBeInstanceOf(NetlistError);
      expect(bad.location.line).toBe(4);
      const nc = await n.run({ netlist: NO_SOLUTION, label: 'noconv' }).catch((e) => e);
      expect(nc).toBeInstanceOf(ConvergenceError);
    });

  });
});

describe('native engine processes (stand-in simulators: this is about processes, not circuits)', () => {
  const linux = existsSync('/proc/self/stat') ? it : it.skip;
  /** A simulator that answers -v, then runs forever (writing its pid where told) or spends a moment of CPU and fails. */
  const standIn = (folder: string) => {
    const binary = join(folder, 'sim');
    writeFileSync(
      binary,
      '#!/bin/sh\nif [ "$1" = -v ]; then echo "ngspice-39 (stand-in)"; exit 0; fi\n' +
        'if grep -q forever "$4"; then echo $$ > "$(sed -n 2p "$4")"; exec sleep 600; fi\n' +
        'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\ntimes > "$(dirname "$0")/times.$$"\nexit 1\n',
    );
    chmodSync(binary, 0o755);
    return binary;
  };
  const withSimulator = async <T>(binary: string, body: (e: Engine) => Promise<T>): Promise<T> => {
    const old = process.env.NGSPICE;
    process.env.NGSPICE = binary;
    const e = await createEngine('ngspice', design.pdk, { cache: false, workers: 1, failDir: tempDir() });
    try {
      return await body(e);
    } finally {
      await e.close();
      if (old === undefined) delete process.env.NGSPICE;
      else process.env.NGSPICE = old;
    }
  };
  const running = (pid: number) => {
    try {
      return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };

  // The launcher shell takes one tab-separated line per run: a path with a tab goes the direct way.
  linux.each(['a plain folder', 'a folder with a tab in its name'])('a run past its timeout is stopped with SimTimeoutError and its process ends (simulator in %s)', async (where) => {
    const folder = tempDir(where === 'a plain folder' ? 'sim-' : 'sim\t');
    const pidFile = join(folder, 'pid');
    await withSimulator(standIn(folder), async (e) => {
      const err = await e.run({ netlist: `forever\n${pidFile}\n.op\n.end\n`, label: 'slow', timeoutMs: 500 }).catch((x) => x);
      expect(err).toBeInstanceOf(SimTimeoutError);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      for (let k = 0; k < 50 && running(pid); k++) await new Promise((r) => setTimeout(r, 100));
      expect(running(pid)).toBe(false);
    });
  }, 30_000);

  // The benches read simulator CPU from /proc/self/stat (children's time): a simulator started through the launcher shell must land there.
  linux("the simulators' CPU time is this process's children's time once the engine is closed", async () => {
    const childSeconds = () => {
      const f = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
      return (Number(f[13]) + Number(f[14])) / 100;
    };
    const folder = tempDir('sim-');
    const before = childSeconds();
    await withSimulator(standIn(folder), async (e) => {
      for (let k = 0; k < 2; k++) await e.run({ netlist: `burn ${k}\n.op\n.end\n`, label: 'burn' }).catch(() => undefined);
    });
    // What each stand-in run says it spent (the shell's `times`: user and system, e.g. "0m0.25s 0m0.01s").
    const spent = readdirSync(folder)
      .filter((f) => f.startsWith('times.'))
      .map((f) => readFileSync(join(folder, f), 'utf8').split('\n')[0].split(' ').reduce((t, x) => t + Number(/(\d+)m([\d.]+)s/.exec(x)![1]) * 60 + Number(/(\d+)m([\d.]+)s/.exec(x)![2]), 0));
    expect(spent).toHaveLength(2);
    const total = spent.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.1);
    expect(childSeconds() - before).toBeGreaterThan(0.9 * total);
  }, 60_000);
});

describe('raw parser', () => {
  it('reads ascii raw files too', () => {
    const text = 'Title: t\nDate: x\nPlotname: DC transfer characteristic\nFlags: real\nNo. Variables: 2\nNo. Points: 2\nVariables:\n\t0\tv(a)\tvoltage\n\t1\ti(v1)\tcurrent\nValues:\n 0\t1.5\n\t-2e-3\n 1\t2.5\n\t-3e-3\n';
    const p = parseRaw(Buffer.from(text));
    expect(p.names).toEqual(['v(a)', 'i(v1)']);
    expect(Array.from(p.vectors['i(v1)'])).toEqual([-2e-3, -3e-3]);
  });
});
