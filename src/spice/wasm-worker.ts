/**
 * One warm eecircuit-engine (ngspice compiled to WebAssembly) per worker thread.
 * Messages: { id, type: 'run', netlist } -> { id, ok, raw|messages }; { id, type: 'read', files }.
 */
import { parentPort, workerData } from 'node:worker_threads';

// The engine prints simulator stderr with console.error; keep it out of the user's terminal.
const messages: string[] = [];
console.error = (...a: unknown[]) => void messages.push(a.map(String).join(' '));
console.info = () => {};
console.log = () => {};

const { Simulation } = await import('eecircuit-engine');
const sim = new Simulation();
await sim.start();
type Fs = {
  writeFile(p: string, d: string | Uint8Array): void;
  mkdirTree(p: string): void;
  readFile(p: string, o?: { encoding: 'utf8' }): string | Uint8Array;
  unlink(p: string): void;
};
const fs = (sim.__getSpiceModuleForTests() as { FS: Fs }).FS;
for (const f of (workerData?.files ?? []) as { name: string; content: string }[]) {
  // A PDK's files may sit in subfolders of its model folder ("corners/tt.spice").
  const slash = f.name.lastIndexOf('/');
  if (slash > 0) fs.mkdirTree('/' + f.name.slice(0, slash));
  fs.writeFile('/' + f.name, f.content);
}
const internal = sim as unknown as { continuePromiseResolve: unknown };

/**
 * Runs one deck. The engine resolves only when it finds an output file; on a failed run
 * it writes none and never resolves, so we also watch for its loop to go back to waiting.
 */
async function run(netlist: string) {
  try {
    fs.unlink('/out.raw');
  } catch {
    /* no previous output */
  }
  messages.length = 0;
  sim.setNetList(netlist);
  // eecircuit-engine sources each deck as a new ngspice circuit and never removes the old
  // ones: a 1,000-synapse netlist left ~100 MB of wasm heap behind per run, and a worker hung
  // on its third 114k-transistor MNIST transient. remcirc after the run frees the circuit
  // (the same netlist three times: 572, 635, 564 MB resident instead of 530, 635, 731 MB).
  // setNetList rebuilds the command list, so the appended remcirc does not pile up.
  const engine = sim as unknown as { commandList: string[] };
  engine.commandList = [...engine.commandList, 'remcirc'];
  let done = false;
  const result = sim.runSim().then((r) => {
    done = true;
    return r;
  });
  const stalled = new Promise<null>((resolve) => {
    const poll = () => {
      if (done) return;
      if (internal.continuePromiseResolve !== null) return resolve(null);
      setTimeout(poll, 2);
    };
    setTimeout(poll, 2);
  });
  const r = await Promise.race([result, stalled]);
  let raw: Uint8Array | undefined;
  if (r && r.numVariables > 0) {
    try {
      raw = fs.readFile('/out.raw') as Uint8Array;
    } catch {
      raw = undefined;
    }
  }
  return { raw, messages: [...sim.getError(), ...messages] };
}

parentPort!.on('message', async (m: { id: number; type: 'run' | 'read'; netlist?: string; files?: string[] }) => {
  try {
    if (m.type === 'read') {
      const out = m.files!.map((name) => ({ name, content: fs.readFile('/' + name, { encoding: 'utf8' }) as string }));
      parentPort!.postMessage({ id: m.id, ok: true, files: out });
      return;
    }
    const { raw, messages: msgs } = await run(m.netlist!);
    parentPort!.postMessage({ id: m.id, ok: true, raw, messages: msgs }, raw ? [raw.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, error: String((e as Error)?.message ?? e) });
  }
});
parentPort!.postMessage({ ready: true });
