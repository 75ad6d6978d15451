import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';

/** Files of a run folder (`codesign run`, `characterize`, `train`, `verify`) the report reads. */
export const RUN_FILES = ['design.json', 'characterization.csv', 'characterization.json', 'models.json', 'training.json', 'weights.json', 'verify.json', 'verify-full.json', 'verify-estimate.json', 'summary.json'] as const;
/** Files of a study folder (`codesign sweep`, `codesign yield`). */
export const STUDY_FILES = ['sweep.json', 'sweep.csv', 'yield.json', 'yield.csv'] as const;

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/**
 * A report folder, read defensively: a missing file is `undefined`, a broken one is
 * `undefined` plus a note, so one bad file costs its plots, never the report.
 */
export class Folder {
  readonly dir: string;
  readonly problems = new Map<string, string>();

  constructor(dir: string) {
    this.dir = resolve(dir);
    if (!existsSync(this.dir)) throw new ConfigError(`report: folder not found: ${this.dir}`);
    if (!statSync(this.dir).isDirectory()) throw new ConfigError(`report: not a folder: ${this.dir} (give the run or study folder)`);
  }

  has(file: string): boolean {
    return existsSync(join(this.dir, file));
  }

  text(file: string): string | undefined {
    return this.has(file) ? readFileSync(join(this.dir, file), 'utf8') : undefined;
  }

  /** Parsed JSON, or undefined when the file is absent or not valid JSON (noted). */
  json(file: string): unknown {
    const t = this.text(file);
    if (t === undefined) return undefined;
    try {
      return JSON.parse(t);
    } catch (e) {
      this.problems.set(file, `not valid JSON (${(e as Error).message})`);
      return undefined;
    }
  }

  /** JSON through a schema; a file that fails it is noted with its first issue's path. */
  parsed<S extends z.ZodType>(file: string, schema: S): z.infer<S> | undefined {
    const v = this.json(file);
    if (v === undefined) return undefined;
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    const i = r.error.issues[0];
    this.problems.set(file, `does not match its schema (${i.path.join('.') || '(root)'}: ${i.message})`);
    return undefined;
  }

  /** Why a file gives no data: absent, or the problem found reading it. */
  why(file: string): string {
    return this.problems.has(file) ? `${file} ${this.problems.get(file)}` : `no ${file}`;
  }
}

/** A plain object, or undefined. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A path into nested objects: `pick(summary, 'accuracy', 'spice')`. */
export function pick(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) cur = obj(cur)?.[k];
  return cur;
}

/** A matrix of finite numbers ([row][col], every row as long), or undefined. */
export function matrix(v: unknown): number[][] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const rows = v.map((r) => (Array.isArray(r) && r.every((x) => num(x) !== undefined) ? (r as number[]) : undefined));
  if (rows.some((r) => r === undefined)) return undefined;
  const n = rows[0]!.length;
  return n > 0 && rows.every((r) => r!.length === n) ? (rows as number[][]) : undefined;
}

/** A CSV cell as data: empty or null -> null, true/false -> boolean, numbers -> number. */
function cell(s: string): Cell {
  const t = s.trim();
  if (t === '' || t === 'null' || t === 'NaN' || t === 'undefined') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function splitLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** Rows of a small CSV table (a study's sweep.csv or yield.csv), cells typed; any columns. */
export function parseCsv(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return [];
  const header = splitLine(lines[0]).map((h) => h.trim());
  return lines.slice(1).map((l) => {
    const cells = splitLine(l);
    return Object.fromEntries(header.map((h, i) => [h, cell(cells[i] ?? '')]));
  });
}

/** The rows of a study table: the JSON file's array of objects (`rows`, `per_die`, ...), else the CSV. */
export function studyRows(f: Folder, json: string, key: string, csv: string): Row[] | undefined {
  const j = f.json(json);
  const fromJson = Array.isArray(j) ? j : obj(j)?.[key];
  if (Array.isArray(fromJson) && fromJson.length && fromJson.every((r) => obj(r))) return fromJson as Row[];
  const t = f.text(csv);
  const rows = t === undefined ? [] : parseCsv(t);
  return rows.length ? rows : undefined;
}
