import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A vega-lite spec; the report's plots are data, rendered by one function. */
export type PlotSpec = TopLevelSpec;

/** Look of every plot: plain sans-serif text, light grid, no outer frame. */
const CONFIG = {
  font: 'sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/**
 * Renders a vega-lite spec to SVG text in Node (vega-lite -> vega -> headless view; no
 * canvas, no browser). Vega numbers clip paths and gradients with a process-wide counter,
 * so every id is renamed `<prefix>-<n>` in order of appearance: the same plot gives the same
 * bytes, and several SVGs in one page never share an id.
 */
export async function renderSvg(spec: PlotSpec, prefix: string): Promise<string> {
  const vg = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return renameIds(await view.toSVG(), prefix);
  } finally {
    view.finalize();
  }
}

function renameIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.has(m[1])) ids.set(m[1], `${prefix}-${ids.size + 1}`);
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, head: string, id: string) => (ids.has(id) ? head + ids.get(id) : all));
}
