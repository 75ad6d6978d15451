import { ConfigError } from './errors.js';

const SUFFIX: Record<string, number> = {
  t: 1e12, g: 1e9, meg: 1e6, k: 1e3, m: 1e-3, u: 1e-6, µ: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15,
};

/**
 * Parses a SPICE-style number ("2.7u", "450n", "1e-6", "0.45um") into SI units.
 * `what` names the field in the error message.
 */
export function parseSi(text: string | number, what: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new ConfigError(`${what}: expected a finite number, got ${text}`);
    return text;
  }
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(meg|[tgkmuµnpf])?[a-z]*\s*$/i.exec(text);
  if (!m) throw new ConfigError(`${what}: "${text}" is not a number (examples: 2.7u, 450n, 1e-6)`);
  const scale = m[2] ? SUFFIX[m[2].toLowerCase()] : 1;
  return Number(m[1]) * scale;
}

const PREFIXES: [number, string][] = [
  [1e-15, 'f'], [1e-12, 'p'], [1e-9, 'n'], [1e-6, 'u'], [1e-3, 'm'], [1, ''], [1e3, 'k'], [1e6, 'meg'], [1e9, 'g'],
];

/**
 * Formats a value with a SPICE suffix, at most `digits` significant digits and no
 * trailing zeros: 2.7e-6 -> "2.7u". Deterministic, so netlists are byte-stable.
 */
export function formatSi(value: number, digits = 6): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  let chosen = PREFIXES[0];
  for (const p of PREFIXES) if (abs >= p[0] * 0.9999999) chosen = p;
  const scaled = Number((value / chosen[0]).toPrecision(digits));
  return `${scaled}${chosen[1]}`;
}

/** A plain number with `digits` significant digits, in exponent form when small. */
export function formatNumber(value: number, digits = 6): string {
  if (value === 0) return '0';
  const r = Number(value.toPrecision(digits));
  const abs = Math.abs(r);
  return abs >= 1e-3 && abs < 1e6 ? String(r) : r.toExponential().replace('e+', 'e');
}
