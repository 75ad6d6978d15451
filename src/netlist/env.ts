import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { packageRoot } from '../util/paths.js';

/** The templates folder (structure only: every number comes from the data passed in). */
export function templatesDir(): string {
  return join(packageRoot(), 'netlists');
}

let env: typeof Handlebars | undefined;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/**
 * One Handlebars environment for netlists: no HTML escaping, strict (a field missing
 * from the data is an error, not an empty string), partials from netlists/partials and
 * the cell subcircuits from netlists/cells registered by file name.
 */
function environment(): typeof Handlebars {
  if (env) return env;
  const hb = Handlebars.create();
  hb.registerHelper('ref', (prefix: string, name: string) => `{${prefix}_${name}}`);
  for (const sub of ['partials', 'cells']) {
    const dir = join(templatesDir(), sub);
    for (const f of readdirSync(dir).sort()) {
      const name = basename(f).replace(/\.(sp\.)?hbs$/, '');
      hb.registerPartial(name, hb.compile(readFileSync(join(dir, f), 'utf8'), { noEscape: true, strict: true }));
    }
  }
  env = hb;
  return hb;
}

function template(name: string): Handlebars.TemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    t = environment().compile(readFileSync(join(templatesDir(), name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  return t;
}

/**
 * Renders netlists/<name> (e.g. "tb/soma_dc.sp.hbs") with the given data. `partials` replaces
 * registered partials for this render by other template files (e.g. { mos: "review/mos.hbs" }),
 * so the same cell templates can be written in another device form.
 */
export function render(name: string, data: object, partials: Record<string, string> = {}): string {
  const overrides = Object.fromEntries(Object.entries(partials).map(([p, file]) => [p, template(file)]));
  // Collapse runs of blank lines left by block helpers; keep one trailing newline.
  return template(name)(data, { partials: overrides }).replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
