/** Parser of ngspice raw files (binary or ascii, real data), first plot only. */
export interface RawPlot {
  title: string;
  plotname: string;
  names: string[];
  points: number;
  vectors: Record<string, Float64Array>;
}

export function parseRaw(buf: Uint8Array): RawPlot {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = b.toString('latin1');
  const bin = text.indexOf('Binary:\n');
  const asc = text.indexOf('Values:\n');
  const headerEnd = bin >= 0 && (asc < 0 || bin < asc) ? bin : asc;
  if (headerEnd < 0) throw new Error('raw file has no Binary: or Values: section');
  const header = text.slice(0, headerEnd);
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(header)?.[1]?.trim() ?? '';
  if (/complex/i.test(field('Flags'))) throw new Error('complex raw data is not supported (use a real analysis: op, dc, tran)');
  const nv = Number(field('No. Variables'));
  const np = Number(field('No. Points'));
  const varsAt = /^Variables:\s*$/m.exec(header);
  if (!varsAt) throw new Error('raw file has no Variables: section');
  const varBlock = header.slice(varsAt.index + varsAt[0].length).trim().split('\n');
  const names = varBlock.slice(0, nv).map((l) => l.trim().split(/\s+/)[1].toLowerCase());
  const vectors: Record<string, Float64Array> = {};
  const cols = names.map(() => new Float64Array(np));
  if (headerEnd === bin) {
    const off = bin + 'Binary:\n'.length;
    const need = off + 8 * nv * np;
    if (b.length < need) throw new Error(`raw file truncated: ${b.length} bytes, expected ${need}`);
    for (let p = 0; p < np; p++) for (let v = 0; v < nv; v++) cols[v][p] = b.readDoubleLE(off + 8 * (p * nv + v));
  } else {
    const tokens = text.slice(asc + 'Values:\n'.length).trim().split(/\s+/);
    let t = 0;
    for (let p = 0; p < np; p++) {
      t++; // point index
      for (let v = 0; v < nv; v++) cols[v][p] = Number(tokens[t++]);
    }
  }
  names.forEach((n, i) => (vectors[n] = cols[i]));
  return { title: field('Title'), plotname: field('Plotname'), names, points: np, vectors };
}
