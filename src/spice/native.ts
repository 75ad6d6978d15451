import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CodesignError, NetlistError, SimTimeoutError, SimulatorMissingError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { processScratch, recordChild } from '../util/scratch.js';
import { countAnalyses, diagnose, saveFailedNetlist } from './diagnose.js';
import { parseRaw } from './raw.js';
import { Launcher, launchable } from './launcher.js';
import { ModelTrimmer } from './trim.js';
import type { Engine, EngineOptions, SimJob, SimResult } from './types.js';

export interface NativeEngineOptions extends EngineOptions {
  /** Directory holding the model files the netlists `.include` (it is the working directory). */
  modelDir: string;
  /** The model files, for the cache identity. */
  modelFiles: string[];
  /** The ngspice binary; default $NGSPICE or "ngspice" on PATH. */
  binary?: string;
}

const INSTALL_HINT = 'install it (Debian/Ubuntu: apt-get install -y ngspice) or set NGSPICE to its path, or use --engine wasm';

/** What `ngspice -v` prints (its banner: version, and "Compiled with KLU" when it has KLU). */
async function banner(binary: string): Promise<string> {
  const r = await execa(binary, ['-v'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  return `${r.stdout}\n${r.stderr}`;
}

/** Version line of the native ngspice, or a typed error if it is not installed. */
export async function ngspiceVersion(binary = process.env.NGSPICE ?? 'ngspice'): Promise<string> {
  try {
    const line = (await banner(binary)).split('\n').find((l) => /ngspice-\d+/i.test(l));
    if (!line) throw new SimulatorMissingError(binary, `"${binary} -v" did not print an ngspice version; ${INSTALL_HINT}`);
    return /ngspice-[\w.+-]+/i.exec(line)![0];
  } catch (e) {
    if (e instanceof CodesignError) throw e;
    throw new SimulatorMissingError(binary, INSTALL_HINT);
  }
}

/**
 * The system init file (`spinit`) each run reads, through SPICE_SCRIPTS: ngspice built with
 * OpenMP (Debian's is) evaluates devices on 2 threads by default, and two such processes on
 * 2 cores took 12.3 s for two MNIST layered netlists that take 6.2 s with one thread each.
 * So each process gets the cores left per process. It replaces the distribution's spinit,
 * which only loads XSPICE code models that codesign's netlists do not use; a .spiceinit in
 * the model directory or the home directory is still read after it.
 */
function spinit(threads: number): string {
  return `* written by codesign for one run\nset num_threads=${threads}\n`;
}

/** What a fail-fast job's init file adds: Newton from the start only, no gmin or source stepping, no transient operating point. */
const FAIL_FAST = 'optran 1 0 0 0 0 0\n';

/**
 * Whether the native ngspice has the KLU solver (its banner says "Compiled with KLU"). Without
 * it `.option klu` is ignored and big netlists spend their time in Sparse 1.3's ordering.
 */
export async function ngspiceHasKlu(binary = process.env.NGSPICE ?? 'ngspice'): Promise<boolean> {
  return /KLU/.test(await banner(binary));
}

/** A small counting semaphore: at most `n` native processes at once. */
class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Native ngspice in batch mode (`ngspice -b -r out.raw deck.cir`), one process per run. */
export class NativeEngine implements Engine {
  readonly name = 'ngspice' as const;
  readonly concurrency: number;
  private readonly sem: Semaphore;
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly spinit: string;
  private readonly trimmer?: ModelTrimmer;
  /** Where the trimmed libraries are written, once each for the engine's life (they are content-named). */
  private trimDir?: string;
  /** Each library's write, by name: runs that need it wait for the one write. */
  private readonly trimWritten = new Map<string, Promise<void>>();
  private id?: Promise<string>;
  private launcher?: Launcher;

  constructor(private readonly opts: NativeEngineOptions) {
    this.concurrency = Math.max(1, opts.workers ?? availableParallelism());
    this.sem = new Semaphore(this.concurrency);
    this.binary = opts.binary ?? process.env.NGSPICE ?? 'ngspice';
    this.timeoutMs = opts.timeoutMs ?? 300_000;
    this.spinit = spinit(Math.max(1, Math.floor(opts.threads ?? availableParallelism() / this.concurrency)));
    if (opts.trimModels !== false) this.trimmer = new ModelTrimmer(opts.modelDir, opts.modelFiles);
  }

  identity(): Promise<string> {
    this.id ??= ngspiceVersion(this.binary).then((v) => {
      const digest = sha256(...this.opts.modelFiles.flatMap((f) => [f, readFileSync(join(this.opts.modelDir, f))])).slice(0, 12);
      return `ngspice/${v}/${digest}`;
    });
    return this.id;
  }

  async run(job: SimJob): Promise<SimResult> {
    const engine = await this.identity();
    const failDir = this.opts.failDir;
    if (countAnalyses(job.netlist) !== 1) {
      throw new NetlistError(`a deck must hold exactly one analysis line (found ${countAnalyses(job.netlist)})`, {
        netlistPath: saveFailedNetlist(job, failDir),
      });
    }
    const timeoutMs = job.timeoutMs ?? this.timeoutMs;
    const release = await this.sem.acquire();
    const dir = await mkdtemp(join(processScratch(), 'ngspice-'));
    try {
      const deck = join(dir, 'deck.cir');
      const raw = join(dir, 'out.raw');
      const trimmed = this.trimmer?.rewrite(job.netlist, (this.trimDir ??= mkdtempSync(join(processScratch(), 'models-'))));
      for (const f of trimmed?.files ?? []) {
        let written = this.trimWritten.get(f.name);
        // A plain write into the engine's own folder (runs wait for it): unlike writeFileAtomic it never makes folders, so it
        // cannot bring back a scratch folder a stopped process is removing.
        if (!written) this.trimWritten.set(f.name, (written = writeFile(join(this.trimDir!, f.name), f.text)));
        await written;
      }
      await writeFile(deck, trimmed?.deck ?? job.netlist);
      await writeFile(join(dir, 'spinit'), job.failFast ? this.spinit + FAIL_FAST : this.spinit);
      const t0 = performance.now();
      const r = await this.launch(dir, raw, deck, timeoutMs);
      const elapsedMs = performance.now() - t0;
      if (r.timedOut) throw new SimTimeoutError(timeoutMs, { netlistPath: saveFailedNetlist(job, failDir) });
      if (r.missing) throw new SimulatorMissingError(this.binary, INSTALL_HINT);
      const messages = `${r.stderr}\n${r.stdout}`.split('\n');
      const err = diagnose(messages, job, failDir);
      if (err) throw err;
      let buf: Buffer;
      try {
        buf = await readFile(raw);
      } catch {
        throw new NetlistError(messages.filter((m) => m.trim()).slice(-3).join(' | ') || `ngspice exited with ${r.exitCode} and wrote no output`, {
          netlistPath: saveFailedNetlist(job, failDir),
        });
      }
      const plot = parseRaw(buf);
      const iterations = /^Total iterations = (\d+)/m.exec(r.stdout);
      return { scale: plot.names[0], names: plot.names, vectors: plot.vectors, points: plot.points, engine, cached: false, elapsedMs, ...(iterations ? { iterations: Number(iterations[1]) } : {}) };
    } finally {
      release();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** One ngspice run in `dir`: through the engine's launcher shell, or execa where a path cannot travel in its request line. */
  private async launch(dir: string, raw: string, deck: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; exitCode: number | undefined; timedOut: boolean; missing: boolean }> {
    const req = { cwd: this.opts.modelDir, scripts: dir, stdoutFile: join(dir, 'stdout.txt'), stderrFile: join(dir, 'stderr.txt'), binary: this.binary, args: ['-b', '-r', raw, deck] as const };
    if (launchable(req)) {
      const r = await (this.launcher ??= new Launcher()).run({ ...req, timeoutMs });
      const [stdout, stderr] = await Promise.all([readFile(req.stdoutFile, 'utf8'), readFile(req.stderrFile, 'utf8')]);
      return { stdout, stderr, exitCode: r.exitCode, timedOut: r.timedOut, missing: r.exitCode === 127 && !stdout };
    }
    const child = execa(this.binary, [...req.args], { cwd: req.cwd, reject: false, timeout: timeoutMs, stdin: 'ignore', env: { SPICE_ASCIIRAWFILE: '0', SPICE_SCRIPTS: dir } });
    recordChild(dir, child.pid);
    const r = await child;
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, timedOut: Boolean(r.timedOut), missing: (r as { code?: string }).code === 'ENOENT' };
  }

  async close(): Promise<void> {
    const launcher = this.launcher;
    this.launcher = undefined;
    await launcher?.close();
  }
}
