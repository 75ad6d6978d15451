/**
 * Line diffs in unified format (`diff -u`): Myers' O(ND) shortest edit script between two line
 * lists, then hunks with context. Common head and tail lines are set aside first, so two
 * netlists that differ in a few tie-off lines cost little however long they are; past
 * `maxEdits` (a huge rewrite) the middle is written as one removal and one insertion, still a
 * correct diff, only not the shortest.
 */

export interface Edit {
  op: ' ' | '-' | '+';
  line: string;
}

/** Shortest edit script of a -> b (Myers 1986), as a list of kept, removed and added lines. */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = 20_000): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail), B = b.slice(head, b.length - tail);
  const keep = (xs: readonly string[]): Edit[] => xs.map((line) => ({ op: ' ', line }));
  return [...keep(a.slice(0, head)), ...middle(A, B, maxEdits), ...keep(a.slice(a.length - tail))];
}

function middle(A: readonly string[], B: readonly string[], maxEdits: number): Edit[] {
  const N = A.length, M = B.length;
  const replaceAll = (): Edit[] => [...A.map((line) => ({ op: '-' as const, line })), ...B.map((line) => ({ op: '+' as const, line }))];
  if (N === 0 || M === 0) return replaceAll();
  const max = Math.min(N + M, maxEdits);
  const off = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < N && y < M && A[x] === B[y]) {
        x++;
        y++;
      }
      next[off + k] = x;
      if (x >= N && y >= M) return backtrack(A, B, trace, d, off);
    }
    v = next;
  }
  return replaceAll();
}

/** Walks the saved frontiers back from (N, M) to (0, 0). */
function backtrack(A: readonly string[], B: readonly string[], trace: Int32Array[], D: number, off: number): Edit[] {
  const edits: Edit[] = [];
  let x = A.length, y = B.length;
  for (let d = D; d >= 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && prev[off + k - 1] < prev[off + k + 1]);
    const pk = down ? k + 1 : k - 1;
    const px = d === 0 ? 0 : prev[off + pk];
    const py = px - pk;
    while (x > px && y > py) edits.push({ op: ' ', line: A[--x] }), y--;
    if (d > 0) {
      if (down) edits.push({ op: '+', line: B[--y] });
      else edits.push({ op: '-', line: A[--x] });
    }
  }
  return edits.reverse();
}

/**
 * Unified-diff hunks (`@@ -l,n +l,n @@` and the lines) of an edit script, with `context`
 * unchanged lines around each change; `first` gives the file line numbers the two inputs start at.
 */
export function unifiedHunks(edits: readonly Edit[], context = 3, first: { a: number; b: number } = { a: 1, b: 1 }): string[] {
  const out: string[] = [];
  const changed = edits.map((e, i) => (e.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return out;
  // Line numbers before each edit.
  const pos: { a: number; b: number }[] = [];
  let la = first.a, lb = first.b;
  for (const e of edits) {
    pos.push({ a: la, b: lb });
    if (e.op !== '+') la++;
    if (e.op !== '-') lb++;
  }
  let g = 0;
  while (g < changed.length) {
    let start = Math.max(0, changed[g] - context);
    let end = changed[g];
    // Changes with at most 2 * context unchanged lines between them share a hunk.
    while (g < changed.length && changed[g] - end - 1 <= 2 * context) end = changed[g++];
    end = Math.min(edits.length - 1, end + context);
    start = Math.max(0, start);
    const slice = edits.slice(start, end + 1);
    const nA = slice.filter((e) => e.op !== '+').length, nB = slice.filter((e) => e.op !== '-').length;
    const at = (n: number, l: number) => (n === 0 ? l - 1 : l);
    out.push(`@@ -${at(nA, pos[start].a)},${nA} +${at(nB, pos[start].b)},${nB} @@`);
    for (const e of slice) out.push(`${e.op}${e.line}`);
  }
  return out;
}

/**
 * The edit script of two line lists of equal length taken line by line, each differing line
 * removed and at once written anew. For two renderings of one template with the same shape (a
 * new weight set) this keeps every change next to its old line, where the shortest script would
 * pair equal lines of different synapses. (Unified diff allows - and + lines in any order within
 * a hunk; patch applies them in sequence.)
 */
export function diffAligned(a: readonly string[], b: readonly string[]): Edit[] {
  if (a.length !== b.length) throw new Error('diffAligned needs lists of equal length');
  return a.flatMap((line, i): Edit[] => (line === b[i] ? [{ op: ' ', line }] : [{ op: '-', line }, { op: '+', line: b[i] }]));
}
