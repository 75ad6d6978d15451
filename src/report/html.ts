/** HTML text of a value: & < > " escaped. */
export function esc(v: unknown): string {
  return String(v).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A table; cells are escaped, numeric-looking ones right-aligned. */
export function htmlTable(header: string[], rows: unknown[][], cls = ''): string {
  const td = (v: unknown) => `<td${typeof v === 'number' || /^[-+]?[\d.]+( |$)/.test(String(v)) ? ' class="num"' : ''}>${esc(v)}</td>`;
  return [
    `<table${cls ? ` class="${cls}"` : ''}>`,
    `<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

/** Label/value pairs as a definition list. */
export function htmlFacts(pairs: [string, unknown][]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
dl.facts { display: flex; flex-wrap: wrap; gap: 0.4em 2em; margin: 0.5em 0 1em; }
dl.facts div { display: flex; gap: 0.4em; }
dt { color: #666; } dd { margin: 0; font-weight: 600; }
figure { margin: 1.5em 0; padding: 0.8em; border: 1px solid #e4e4e4; border-radius: 4px; overflow-x: auto; }
figure h3 { margin: 0 0 0.4em; font-size: 1.05em; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.5em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; }
th { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.wide { overflow-x: auto; }
.note { color: #555; font-size: 0.92em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
`;

/**
 * The whole page: no script, no external resource (the Content-Security-Policy forbids any),
 * so it opens offline and is the same bytes for the same folder.
 */
export function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
