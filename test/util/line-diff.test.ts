import { Stream } from '../../src/mismatch/index.js';
import { diffAligned, diffLines, unifiedHunks, type Edit } from '../../src/util/line-diff.js';

/** Length of a longest common subsequence, by dynamic programming (the reference for minimality). */
function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i][j] = a[i - 1] === b[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
  return t[a.length][b.length];
}

/** Applies unified hunks to `a`, as patch would, checking every context and removed line. */
function applyHunks(a: string[], hunks: string[]): string[] {
  const out: string[] = [];
  let at = 0, q = 0;
  while (q < hunks.length) {
    const m = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(hunks[q++])!;
    const start = Number(m[2]) === 0 ? Number(m[1]) : Number(m[1]) - 1;
    while (at < start) out.push(a[at++]);
    while (q < hunks.length && !hunks[q].startsWith('@@')) {
      const [op, line] = [hunks[q][0], hunks[q].slice(1)];
      if (op !== '+') expect(a[at++]).toBe(line);
      if (op !== '-') out.push(line);
      q++;
    }
  }
  while (at < a.length) out.push(a[at++]);
  return out;
}

const sides = (e: Edit[]) => [e.filter((x) => x.op !== '+').map((x) => x.line), e.filter((x) => x.op !== '-').map((x) => x.line)];

describe('line diffs', () => {
  it('are shortest edit scripts, and their unified hunks turn a into b', () => {
    const s = new Stream('test/line-diff');
    for (let t = 0; t < 300; t++) {
      const a = Array.from({ length: Math.floor(s.uniform() * 40) }, () => String(Math.floor(s.uniform() * 5)));
      const b = a.filter(() => s.uniform() > 0.2).flatMap((x) => (s.uniform() < 0.2 ? [x, String(Math.floor(s.uniform() * 5))] : [x]));
      const e = diffLines(a, b);
      expect(sides(e)).toEqual([a, b]);
      expect(e.filter((x) => x.op === ' ').length).toBe(lcs(a, b));
      for (const context of [0, 1, 3]) expect(applyHunks(a, unifiedHunks(e, context))).toEqual(b);
    }
  });

  it('write line numbers as diff -u does', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const b = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    expect(unifiedHunks(diffLines(a, b), 1)).toEqual(['@@ -3,3 +3,3 @@', ' c', '-d', '+D', ' e', '@@ -10,1 +10,2 @@', ' j', '+k']);
    expect(unifiedHunks(diffLines(a, a))).toEqual([]);
    expect(unifiedHunks(diffLines([], ['x']))).toEqual(['@@ -0,0 +1,1 @@', '+x']);
    // From line 20 of a file on.
    expect(unifiedHunks(diffLines(['p', 'q'], ['p', 'Q']), 3, { a: 20, b: 20 })).toEqual(['@@ -20,2 +20,2 @@', ' p', '-q', '+Q']);
  });

  it('can pair equal-length inputs line by line, each new line right after its old one', () => {
    const a = ['* w0: code +1', 'x0 vss vss vss vdd', '* w1: code 0', 'x1 vss vss vss vss'];
    const b = ['* w0: code 0', 'x0 vss vss vss vss', '* w1: code 0', 'x1 vss vss vss vss'];
    const e = diffAligned(a, b);
    expect(sides(e)).toEqual([a, b]);
    expect(unifiedHunks(e, 0)).toEqual(['@@ -1,2 +1,2 @@', '-* w0: code +1', '+* w0: code 0', '-x0 vss vss vss vdd', '+x0 vss vss vss vss']);
    expect(applyHunks(a, unifiedHunks(e, 1))).toEqual(b);
  });
});
