/**
 * Reading PDK model text as ngspice does, for the parts codesign needs: statements with their
 * `+` continuation lines joined, `.lib file section` and `.include file` resolved into one text
 * (paths relative to the including file, as ngspice resolves nested includes), `name = value`
 * assignments, and the small expression language of parameter values (numbers, names,
 * + - * /, parentheses, sqrt and a few functions) for evaluating mismatch terms.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { ConfigError } from '../util/errors.js';

/** One statement: the first line plus its `+` continuations, comments dropped. */
export interface Statement {
  /** The joined text, continuation `+` removed. */
  text: string;
  /** 1-based line of the first line in its text. */
  line: number;
}

/** Splits model text into statements. Comment lines (`*`) and inline `$`/`;` comments are dropped. */
export function statements(text: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s(\$|;).*$/, '').trimEnd();
    const t = line.trimStart();
    if (t === '' || t.startsWith('*')) return;
    if (t.startsWith('+')) {
      if (out.length === 0) return;
      out[out.length - 1].text += ' ' + t.slice(1).trim();
      return;
    }
    out.push({ text: t, line: i + 1 });
  });
  return out;
}

/** The `name = value` assignments of a `.param` body or a `.model` parameter list, in order. */
export function assignments(body: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const re = /([A-Za-z_][\w.]*)\s*=\s*(\{[^}]*\}|'[^']*'|[^\s{}'=]+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out.push({ name: m[1], value: m[2] });
  return out;
}

const unquote = (s: string) => s.replace(/^["']|["']$/g, '');

/** Where a corner's model text starts: a whole file, or one `.lib` section of it. */
export interface ModelEntry {
  file: string;
  section?: string;
}

/** Parses a corner entry "file" or "file section" (as written after `.include` / `.lib`). */
export function parseEntry(entry: string): ModelEntry {
  const parts = entry.trim().split(/\s+/);
  if (parts.length > 2 || !parts[0]) throw new ConfigError(`corner entry "${entry}": expected "file" or "file section"`);
  return { file: unquote(parts[0]), section: parts[1] };
}

/** The model text an entry stands for with every `.include` / `.lib` inlined, and the files read. */
export interface Flattened {
  text: string;
  files: string[];
}

/**
 * Resolves an entry under `dir` into one text, the way ngspice reads it: `.lib file section`
 * takes that section only, `.include file` the whole file, in which `.lib name` ... `.endl`
 * blocks are definitions and skipped. Relative paths are taken from the including file's folder.
 */
export function flattenEntry(dir: string, entry: ModelEntry, where: string): Flattened {
  const files = new Set<string>();
  const cache = new Map<string, string[]>();
  const read = (path: string, from: string): string[] => {
    if (!existsSync(path)) throw new ConfigError(`${where}: model file ${path} not found (${from})`);
    let lines = cache.get(path);
    if (!lines) {
      lines = readFileSync(path, 'utf8').split(/\r?\n/);
      cache.set(path, lines);
      files.add(relative(dir, path));
    }
    return lines;
  };
  const out: string[] = [];
  const visit = (path: string, section: string | undefined, from: string, depth: number) => {
    if (depth > 30) throw new ConfigError(`${where}: includes nested more than 30 deep at ${path} (a loop?)`);
    const lines = read(path, from);
    let inside = section === undefined;
    let skipping = 0;
    let found = false;
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i].trim();
      const words = t.split(/\s+/);
      const kw = words[0].toLowerCase();
      if (kw === '.lib' && words.length === 2) {
        // A section definition: enter ours, skip others.
        if (section !== undefined && !found && unquote(words[1]).toLowerCase() === section.toLowerCase() && !inside) {
          inside = true;
          found = true;
          continue;
        }
        if (inside) skipping++;
        continue;
      }
      if (kw === '.endl') {
        if (skipping > 0) skipping--;
        else if (section !== undefined && inside) inside = false;
        continue;
      }
      if (!inside || skipping > 0) continue;
      const here = `${path}:${i + 1}`;
      if (kw === '.lib' && words.length >= 3) {
        visit(resolvePath(path, unquote(words[1])), unquote(words[2]), here, depth + 1);
      } else if (kw === '.include' || kw === '.inc') {
        visit(resolvePath(path, unquote(words.slice(1).join(' '))), undefined, here, depth + 1);
      } else out.push(lines[i]);
    }
    if (section !== undefined && !found) throw new ConfigError(`${where}: no ".lib ${section}" section in ${path} (${from})`);
  };
  visit(join(dir, entry.file), entry.section, where, 0);
  return { text: out.join('\n') + '\n', files: [...files].sort() };
}

function resolvePath(from: string, name: string): string {
  return isAbsolute(name) ? name : join(dirname(from), name);
}

/** Evaluates a parameter expression ("{a*2+sqrt(b)}", "1.2e-3", "name") with the given values. */
export function evaluate(expr: string, values: ReadonlyMap<string, number>, where: string): number {
  const src = expr.trim().replace(/^\{|\}$/g, '').replace(/^'|'$/g, '');
  const tokens = src.match(/\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|[A-Za-z_][\w.]*|\*\*|[-+*/(),^]/gi) ?? [];
  if (tokens.join('') !== src.replace(/\s+/g, '')) throw new ConfigError(`${where}: cannot read expression "${expr}"`);
  let i = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const x = tokens[i++];
    if (t !== undefined && x !== t) throw new ConfigError(`${where}: expected "${t}" in "${expr}"`);
    return x;
  };
  const FUNCS: Record<string, (...a: number[]) => number> = { sqrt: Math.sqrt, abs: Math.abs, exp: Math.exp, log: Math.log, ln: Math.log, max: Math.max, min: Math.min, pow: Math.pow };
  const primary = (): number => {
    const t = take();
    if (t === undefined) throw new ConfigError(`${where}: "${expr}" ends early`);
    if (t === '(') {
      const v = sum();
      take(')');
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (/^[\d.]/.test(t)) return Number(t);
    const lower = t.toLowerCase();
    if (peek() === '(' && lower in FUNCS) {
      take('(');
      const args = [sum()];
      while (peek() === ',') {
        take(',');
        args.push(sum());
      }
      take(')');
      return FUNCS[lower](...args);
    }
    const v = values.get(lower);
    if (v === undefined) throw new ConfigError(`${where}: "${t}" in "${expr}" is not defined`);
    return v;
  };
  const power = (): number => {
    const b = primary();
    if (peek() === '**' || peek() === '^') {
      take();
      return b ** power();
    }
    return b;
  };
  const product = (): number => {
    let v = power();
    while (peek() === '*' || peek() === '/') v = take() === '*' ? v * power() : v / power();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = take() === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new ConfigError(`${where}: unexpected "${tokens[i]}" in "${expr}"`);
  return v;
}

/** Identifiers an expression refers to (lower case), functions excluded. */
export function identifiers(expr: string): string[] {
  const src = expr.replace(/^\{|\}$/g, '').replace(/^'|'$/g, '');
  const out: string[] = [];
  const re = /(?<![\w.])([A-Za-z_][\w.]*)(\s*\()?/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[2]) continue; // a function call
    if (/^\d/.test(m[1])) continue;
    out.push(m[1].toLowerCase());
  }
  return out;
}
