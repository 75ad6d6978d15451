/** One simulation: a complete netlist deck (exactly one analysis) and how to name it in errors. */
export interface SimJob {
  netlist: string;
  /** Short name for messages and saved failing netlists (e.g. "soma-dc"). */
  label?: string;
  /** Where the netlist already lives on disk, if it does: errors name this file. */
  path?: string;
  /** Per-run limit; the engine's default applies when absent. */
  timeoutMs?: number;
  /**
   * Stop at the first DC point that does not converge within the deck's iteration limit
   * (`itl1`/`itl2`) instead of falling back to gmin stepping, source stepping and the
   * transient operating point, which can cost thousands of Newton iterations per point: for
   * callers that have a cheaper way to solve the deck when this one fails (layered
   * verification's staged release), which is also why such a run's failing netlist is not saved.
   * Native ngspice honours it (its run's init file sets `optran 1 0 0 0 0 0`); the WebAssembly
   * engine ignores it, since its ngspice instance is shared between runs and the setting would
   * outlive the run.
   */
  failFast?: boolean;
}

/** Named vectors of one analysis, lower-case names as ngspice writes them (`v(out)`, `i(vdd)`). */
export interface SimResult {
  /** Name of the independent variable (sweep, time), the first vector. */
  scale: string;
  names: string[];
  vectors: Record<string, Float64Array>;
  points: number;
  /** Engine identity that produced it (name, version, model digest). */
  engine: string;
  cached: boolean;
  elapsedMs: number;
  /** Newton iterations of the run, when the deck asked for statistics (`.option acct`) and the engine reports them (native). */
  iterations?: number;
}

export type EngineName = 'wasm' | 'ngspice';

/** Netlist text in, named vectors out. Both engines run the same text with the same model files. */
export interface Engine {
  readonly name: EngineName;
  /** Stable identity for caching: engine, simulator version, model files digest. */
  identity(): Promise<string>;
  run(job: SimJob): Promise<SimResult>;
  /** Parallel runs this engine executes at once. */
  readonly concurrency: number;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Default per-run timeout, ms. */
  timeoutMs?: number;
  /** Parallel runs (wasm: worker threads, native: processes); default: all cores. */
  workers?: number;
  /**
   * Native ngspice: OpenMP threads per process (default: the cores per parallel run of this
   * engine). Several engines on one machine (a study's dies in parallel) should share the
   * cores: each of two engines with one process would otherwise run two threads on 2 cores.
   */
  threads?: number;
  /** Where netlists of failed runs are saved. */
  failDir?: string;
  /**
   * Native ngspice: simulate each deck with a PDK library holding only the model cards and
   * subcircuits it names (default true; the same results, less parsing: src/spice/trim.ts).
   */
  trimModels?: boolean;
}
