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

/** Renders netlists/<name> (e.g. "tb/soma_dc.sp.hbs") with the given data. */
export function render(name: string, data: object): string {
  let t = compiled.get(name);
  if (!t) {
    t = environment().compile(readFileSync(join(templatesDir(), name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  // Collapse runs of blank lines left by block helpers; keep one trailing newline.
  return t(data).replace(/\n{3,}/g, '\n\n').replace(/\s*$/, '\n');
}
