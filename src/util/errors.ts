/**
 * Errors the user can act on. Every one carries an exit code and a message that names
 * the file, field or netlist line at fault; the CLI prints the message alone (no stack).
 */
export class CodesignError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Exit codes, stable so scripts can branch on them. */
export const ExitCode = {
  failure: 1,
  usage: 2,
  config: 3,
  netlist: 4,
  convergence: 5,
  timeout: 6,
  simulatorMissing: 7,
  unreachable: 8,
} as const;

/** A design config, CLI argument or data file that fails validation. */
export class ConfigError extends CodesignError {
  constructor(message: string) {
    super(message, ExitCode.config);
  }
}

/** Where a failed simulation's netlist was saved and which of its lines is at fault. */
export interface NetlistLocation {
  netlistPath: string;
  line?: number;
  lineText?: string;
}

function describe(loc: NetlistLocation): string {
  const where = loc.line !== undefined ? `${loc.netlistPath}:${loc.line}` : loc.netlistPath;
  return loc.lineText !== undefined ? `${where}: ${loc.lineText.trim()}` : where;
}

/** The simulator rejected the netlist text (syntax, unknown model or node, ...). */
export class NetlistError extends CodesignError {
  readonly location: NetlistLocation;
  readonly detail: string;
  constructor(detail: string, location: NetlistLocation) {
    super(`netlist error in ${describe(location)}\n  simulator said: ${detail}`, ExitCode.netlist);
    this.location = location;
    this.detail = detail;
  }
}

/** The simulator ran but found no solution. */
export class ConvergenceError extends CodesignError {
  readonly location: NetlistLocation;
  readonly detail: string;
  constructor(detail: string, location: NetlistLocation) {
    super(`simulation did not converge: ${describe(location)}\n  simulator said: ${detail}`, ExitCode.convergence);
    this.location = location;
    this.detail = detail;
  }
}

/** A run exceeded its time budget and was stopped. */
export class SimTimeoutError extends CodesignError {
  readonly location: NetlistLocation;
  constructor(timeoutMs: number, location: NetlistLocation) {
    super(`simulation timed out after ${timeoutMs} ms: ${describe(location)}`, ExitCode.timeout);
    this.location = location;
  }
}

/** A native tool (ngspice) the user asked for is not installed. */
export class SimulatorMissingError extends CodesignError {
  constructor(tool: string, hint: string) {
    super(`${tool} not found: ${hint}`, ExitCode.simulatorMissing);
  }
}

/** The job queue of a distributed study (Redis) cannot be reached or refuses the connection. */
export class RedisUnreachableError extends CodesignError {
  constructor(message: string) {
    super(message, ExitCode.unreachable);
  }
}
