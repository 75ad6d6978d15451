/**
 * The PDK library a deck actually uses. GF180's `typical` section pulls in every device of the
 * PDK (resistors, BJTs, capacitors, 6 V devices, 16 bins per 3.3 V transistor); ngspice parses
 * all of it for every run: 0.37 G instructions, about 13 % of a 2,000-transistor
 * characterization batch (docs/performance.md). The native engine therefore simulates each
 * deck with its model lines pointing at the same library text without the `.model` cards and
 * `.subckt` blocks the deck never names; every parameter, option and kept card stays as it
 * is, in order, so ngspice builds the same devices and the results are the same numbers
 * (test/spice/trim.test.ts holds batches to identical vectors). The deck the user sees, the
 * cache key and a failed run's saved netlist stay the original text.
 */
import { flattenEntry } from '../pdk/index.js';
import { sha256 } from '../util/hash.js';

/** A deck's line that loads a model file of the engine: `.include file` or `.lib file section`. */
const MODEL_LINE = /^[ \t]*\.(include|inc|lib)[ \t]+(?:"([^"]+)"|'([^']+)'|(\S+))(?:[ \t]+(\S+))?[ \t]*$/gim;

interface Library {
  /** The flattened library, one statement (its first line and continuations) per entry. */
  statements: { text: string; kind: 'model' | 'subckt' | 'other'; name: string }[];
  /** Matches, in a deck, any name a `.model` or `.subckt` of the library could be referred to by. */
  names: RegExp;
}

/** Splits flattened model text into statements; a `.subckt` block is one statement. */
function parseLibrary(text: string): Library {
  const lines = text.split('\n');
  const statements: Library['statements'] = [];
  let depth = 0;
  for (const line of lines) {
    const t = line.trimStart();
    const kw = t.slice(0, 8).toLowerCase();
    const continues = t.startsWith('+') || t === '' || t.startsWith('*');
    if (depth > 0 || (continues && statements.length > 0)) {
      statements[statements.length - 1].text += '\n' + line;
      if (kw.startsWith('.subckt')) depth++;
      else if (kw.startsWith('.ends')) depth--;
      continue;
    }
    const name = (t.split(/\s+/)[1] ?? '').toLowerCase();
    if (kw.startsWith('.model')) statements.push({ text: line, kind: 'model', name });
    else if (kw.startsWith('.subckt')) {
      statements.push({ text: line, kind: 'subckt', name });
      depth = 1;
    } else statements.push({ text: line, kind: 'other', name: '' });
  }
  const named = new Set<string>();
  for (const s of statements) if (s.kind !== 'other') named.add(s.name).add(baseName(s.name));
  const escaped = [...named].filter(Boolean).sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { statements, names: new RegExp(`(?<![\\w.])(?:${escaped.join('|') || '(?!)'})(?![\\w.])`, 'gi') };
}

/** A binned card's family name ("nmos_3p3.8" -> "nmos_3p3"), which ngspice resolves to a bin by size. */
const baseName = (name: string) => name.replace(/\.\d+$/, '');

/**
 * Rewrites decks to load only what they use (see the file comment). One instance per engine:
 * libraries are flattened once, trimmed texts kept by content.
 */
export class ModelTrimmer {
  private libraries = new Map<string, Library>();
  private trimmed = new Map<string, { name: string; text: string }>();

  /** @param modelDir the folder the deck's model names are relative to; @param modelFiles the files that may be trimmed. */
  constructor(
    private readonly modelDir: string,
    private readonly modelFiles: readonly string[],
  ) {}

  /**
   * The deck with its model lines replaced by `.include "<dir>/<name>"` lines, and the trimmed
   * libraries to write into `dir` first; undefined when the deck loads none of the engine's files.
   */
  rewrite(deck: string, dir: string): { deck: string; files: { name: string; text: string }[] } | undefined {
    const entries: { file: string; section?: string }[] = [];
    MODEL_LINE.lastIndex = 0;
    for (let m = MODEL_LINE.exec(deck); m; m = MODEL_LINE.exec(deck)) {
      const file = m[2] ?? m[3] ?? m[4];
      // `.lib file` alone defines a section, `.include file x` is not a model line: leave such decks alone.
      if (!this.modelFiles.includes(file) || (m[1].toLowerCase() === 'lib') !== (m[5] !== undefined)) return undefined;
      entries.push({ file, section: m[5] });
    }
    if (entries.length === 0) return undefined;
    const rest = deck.replace(MODEL_LINE, '');
    const files: { name: string; text: string }[] = [];
    const out = deck.replace(MODEL_LINE, (_all, kind: string, q1?: string, q2?: string, plain?: string, section?: string) => {
      const lib = this.library(q1 ?? q2 ?? plain!, kind.toLowerCase() === 'lib' ? section : undefined);
      const used = new Set<string>();
      const scan = (text: string) => {
        for (const m of text.matchAll(lib.names)) used.add(m[0].toLowerCase());
      };
      const keep = (s: Library['statements'][number]) => s.kind === 'other' || used.has(s.name) || used.has(baseName(s.name));
      // What the deck names, and what the library's kept subcircuits name in turn.
      scan(rest);
      for (let size = -1; size !== used.size; ) {
        size = used.size;
        for (const s of lib.statements) if (s.kind === 'subckt' && keep(s)) scan(s.text);
      }
      const key = `${q1 ?? q2 ?? plain}\n${section ?? ''}\n${[...used].sort().join(' ')}`;
      let t = this.trimmed.get(key);
      if (!t) {
        const text = lib.statements.filter(keep).map((s) => s.text).join('\n') + '\n';
        t = { name: `models-${sha256(text).slice(0, 16)}.lib`, text };
        this.trimmed.set(key, t);
      }
      files.push(t);
      return `.include "${dir}/${t.name}"`;
    });
    return { deck: out, files };
  }

  private library(file: string, section: string | undefined): Library {
    const key = `${file}\n${section ?? ''}`;
    let lib = this.libraries.get(key);
    if (!lib) {
      lib = parseLibrary(flattenEntry(this.modelDir, { file, section }, `model file ${file}`).text);
      this.libraries.set(key, lib);
    }
    return lib;
  }
}
