/**
 * Derives a primitive-form model library from a PDK whose transistors are subcircuits
 * (SKY130: `sky130_fd_pr__nfet_01v8` wraps 63 binned `.model` cards and one `m` instance).
 * codesign instantiates transistors as primitives (`m... <model> ... delvto= mulu0=`) so that
 * every mismatch draw is its own, seeded one; a subcircuit hides its models from primitives,
 * ignores `delvto`, and adds unseeded `agauss` mismatch of its own. The derivation keeps the
 * model cards and the global parameters they use, byte for byte in value, and removes only the
 * wrapper and the Monte Carlo terms (`MC_SWITCH*AGAUSS(...)*(...)`, `MC_MM_SWITCH*...`), whose
 * sigma it reports per bin so that the descriptor's Pelgrom coefficients come from them.
 */
import { ConfigError } from '../util/errors.js';
import { assignments, evaluate, identifiers, statements } from './spice-text.js';
import type { DeviceType } from './descriptor.js';

/** A model bin: the W and L range (metres) its card covers. */
export interface Bin {
  w: [number, number];
  l: [number, number];
}

/**
 * The Monte Carlo sigma of one bin, at W*L*mult = 1 um^2 (the terms scale as 1/sqrt(W*L*mult)
 * with W, L in um, i.e. these are Pelgrom coefficients): parameter name -> sigma, in the
 * parameter's unit (V for vth0 and voff, 1 for nfactor); toxe as a relative sigma.
 */
export interface BinMismatch extends Bin {
  sigma: Record<string, number>;
}

export interface DerivedDevice {
  /** The model name primitives use (the cards are `<model>.0`, `<model>.1`, ...). */
  model: string;
  /** "nmos" or "pmos". */
  polarity: string;
  bins: BinMismatch[];
}

export interface DerivedLibrary {
  text: string;
  devices: Record<DeviceType, DerivedDevice>;
}

interface ModelCard {
  name: string;
  polarity: string;
  params: { name: string; value: string }[];
  mc: Record<string, string>;
}

const MC_TERM = /([+-])?\s*MC_(?:MM_)?SWITCH\s*\*\s*AGAUSS\s*\(([^)]*)\)\s*\*\s*\(/i;

/** Removes the Monte Carlo terms of a value; returns the value and each term's sigma expression. */
function stripMc(value: string, where: string): { value: string; sigma?: string } {
  const m = MC_TERM.exec(value);
  if (!m) return { value };
  let depth = 1;
  let j = m.index + m[0].length;
  for (; j < value.length && depth > 0; j++) {
    if (value[j] === '(') depth++;
    else if (value[j] === ')') depth--;
  }
  if (depth !== 0) throw new ConfigError(`${where}: unbalanced parentheses in a Monte Carlo term of "${value}"`);
  const inner = value.slice(m.index + m[0].length, j - 1);
  const [, abs, nsig] = m[2].split(',').map((s) => s.trim());
  const rest = value.slice(0, m.index) + value.slice(j);
  if (MC_TERM.test(rest)) throw new ConfigError(`${where}: more than one Monte Carlo term in "${value}"`);
  return { value: rest, sigma: `(${inner})*(${abs ?? '1'})/(${nsig ?? '1'})` };
}

/**
 * The derivation. `text` is the model text with includes resolved (spice-text.flattenEntry);
 * `subckts` names the subcircuit of each device type; `header` lines open the output.
 */
export function derivePrimitive(text: string, subckts: Record<DeviceType, string>, header: string[], where: string): DerivedLibrary {
  const globals = new Map<string, { name: string; value: string; order: number }>();
  const cards: Record<DeviceType, ModelCard[]> = { nfet: [], pfet: [] };
  const localParams: Record<DeviceType, Set<string>> = { nfet: new Set(), pfet: new Set() };
  const byName = new Map(Object.entries(subckts).map(([t, n]) => [n.toLowerCase(), t as DeviceType]));
  const stack: string[] = [];
  let order = 0;
  for (const st of statements(text)) {
    const words = st.text.split(/\s+/);
    const kw = words[0].toLowerCase();
    const here = `${where}, statement at line ${st.line}`;
    if (kw === '.subckt') {
      stack.push(words[1].toLowerCase());
      continue;
    }
    if (kw === '.ends') {
      stack.pop();
      continue;
    }
    if (stack.length === 0) {
      if (kw === '.param') for (const a of assignments(st.text.slice(6))) globals.set(a.name.toLowerCase(), { ...a, order: order++ });
      continue;
    }
    const type = stack.length === 1 ? byName.get(stack[0]) : undefined;
    if (!type) continue;
    if (kw === '.param') for (const a of assignments(st.text.slice(6))) localParams[type].add(a.name.toLowerCase());
    else if (kw === '.model') {
      const body = words.slice(3).join(' ').replace(/^\(|\)$/g, '');
      const card: ModelCard = { name: words[1], polarity: words[2].toLowerCase(), params: [], mc: {} };
      for (const a of assignments(body)) {
        const s = stripMc(a.value, `${here} (${words[1]} ${a.name})`);
        card.params.push({ name: a.name, value: s.value });
        if (s.sigma) card.mc[a.name.toLowerCase()] = s.sigma;
      }
      cards[type].push(card);
    }
  }

  // The global parameters the kept cards need, and what they need in turn.
  const needed = new Set<string>();
  const queue: string[] = [];
  const need = (expr: string, from: string, type?: DeviceType) => {
    for (const id of identifiers(expr)) {
      if (needed.has(id)) continue;
      if (!globals.has(id)) {
        if (type && localParams[type].has(id)) throw new ConfigError(`${where}: ${from} depends on the subcircuit parameter "${id}" (instance geometry), which a primitive cannot pass`);
        throw new ConfigError(`${where}: ${from} uses "${id}", which no global .param defines`);
      }
      needed.add(id);
      queue.push(id);
    }
  };
  for (const type of ['nfet', 'pfet'] as const) {
    if (cards[type].length === 0) throw new ConfigError(`${where}: no .model cards inside subcircuit ${subckts[type]}`);
    for (const c of cards[type]) for (const p of c.params) need(p.value, `${c.name} ${p.name}`, type);
  }
  while (queue.length) {
    const g = globals.get(queue.pop()!)!;
    need(g.value, `.param ${g.name}`);
  }
  const kept = [...needed].map((n) => globals.get(n)!).sort((a, b) => a.order - b.order);
  for (const g of kept) if (/gauss|unif|limit\s*\(/i.test(g.value)) throw new ConfigError(`${where}: .param ${g.name} draws a random value ("${g.value}")`);

  // Values for evaluating bins and sigmas: the kept globals plus a 1 um x 1 um, mult 1 instance.
  const values = new Map<string, number>();
  for (const g of [...globals.values()].sort((a, b) => a.order - b.order)) {
    try {
      values.set(g.name.toLowerCase(), evaluate(g.value, values, `.param ${g.name}`));
    } catch {
      /* parameters of other devices may use what we do not evaluate; only ours matter */
    }
  }
  const devices = {} as Record<DeviceType, DerivedDevice>;
  for (const type of ['nfet', 'pfet'] as const) {
    const base = new Set(cards[type].map((c) => c.name.replace(/\.\d+$/, '')));
    if (base.size !== 1) throw new ConfigError(`${where}: the cards of ${subckts[type]} have more than one model name: ${[...base].join(', ')}`);
    const bins = cards[type].map((c) => {
      const get = (k: string) => {
        const p = c.params.find((x) => x.name.toLowerCase() === k);
        if (!p) throw new ConfigError(`${where}: model ${c.name} has no ${k} (not a binned card)`);
        return evaluate(p.value, values, `${c.name} ${k}`);
      };
      const geometry = new Map([...values, ['l', 1], ['w', 1], ['mult', 1], ['nf', 1]]);
      const sigma: Record<string, number> = {};
      for (const [k, expr] of Object.entries(c.mc)) {
        let s = evaluate(expr, geometry, `${c.name} ${k} Monte Carlo term`);
        if (k === 'toxe') s /= evaluate(c.params.find((x) => x.name.toLowerCase() === 'toxe')!.value, values, `${c.name} toxe`);
        sigma[k] = s;
      }
      return { l: [get('lmin'), get('lmax')], w: [get('wmin'), get('wmax')], sigma } as BinMismatch;
    });
    devices[type] = { model: [...base][0], polarity: cards[type][0].polarity, bins };
  }

  const lines = [...header.map((h) => `* ${h}`.trimEnd()), '', '* global parameters the model cards use', ...kept.map((g) => `.param ${g.name} = ${g.value}`)];
  for (const type of ['nfet', 'pfet'] as const) {
    lines.push('', `* ${subckts[type]}: ${cards[type].length} binned cards, Monte Carlo terms removed`);
    for (const c of cards[type]) {
      lines.push(`.model ${c.name} ${c.polarity}`);
      for (const p of c.params) lines.push(`+ ${p.name} = ${p.value}`);
    }
  }
  return { text: lines.join('\n') + '\n', devices };
}

/** Pelgrom coefficients of one bin: A_VT from the threshold terms, A_beta from the oxide term. */
export function binCoefficients(b: BinMismatch): { avt_mv_um: number; abeta_pct_um: number } {
  const s = b.sigma;
  return {
    // vth0 and voff shift the subthreshold exponent one for one (BSIM4: exp((Vgs-Vth-voff')/(n*vt))).
    avt_mv_um: Math.hypot(s.vth0 ?? 0, s.voff ?? 0) * 1e3,
    // beta = mu*Cox*W/L and Cox = eps/toxe: a relative toxe change is a relative beta change.
    abeta_pct_um: (s.toxe ?? 0) * 100,
  };
}
