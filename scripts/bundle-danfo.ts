/**
 * Builds dist/vendor/danfo.cjs: danfo.js (DataFrame, toCSV: what codesign writes its CSV files
 * with) and everything it loads, in one file, run by `npm run build`. Why a bundle: danfojs 1.2.0
 * declares `xlsx` as a tarball URL on cdn.sheetjs.com, so a project that depends on danfojs
 * cannot be installed from the npm registry alone (the package.json `overrides` that fix this
 * here apply only to the root project), and its @tensorflow/tfjs dependency installs ~270 MB.
 * Built from the devDependency, the bundle makes danfojs, tfjs, mathjs, papaparse and table no
 * dependencies of the published package at all. Excel I/O (xlsx) and plotting (plotly) are left
 * out: codesign uses neither; calling them throws. The bundled packages' licence texts go to
 * dist/vendor/danfo.LICENSES.txt.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'vendor');
const outfile = join(outDir, 'danfo.cjs');

/** Packages danfo.js loads for features codesign does not use: each becomes a module that throws when used. */
const LEFT_OUT: Record<string, string> = { xlsx: 'Excel I/O (readExcel, toExcel)', 'plotly.js-dist-min': 'plotting' };

const leaveOut: Plugin = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(LEFT_OUT).map((k) => k.replace(/\./g, '\\.')).join('|')})$`) }, (a) => ({ path: a.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (a) => ({
      contents: `module.exports = new Proxy({}, { get(_, k) { if (typeof k === 'symbol' || k === '__esModule' || k === 'default') return undefined; throw new Error(${JSON.stringify(`danfo.js ${LEFT_OUT[a.path]} is not part of codesign's danfo.js bundle (${a.path} left out)`)}); } });`,
      loader: 'js',
    }));
  },
};

const entry = "export { DataFrame, toCSV } from 'danfojs';";
const result = await build({
  stdin: { contents: entry, resolveDir: root, sourcefile: 'danfo-entry.js', loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [leaveOut],
  outfile,
});

/** The package directory (holding package.json) of every bundled input, with its name and version. */
const packages = new Map<string, { name: string; version: string; license: string; dir: string }>();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (!m || packages.has(m[1])) continue;
  const dir = join(root, m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  packages.set(m[1], { name: pkg.name, version: pkg.version, license: pkg.license ?? 'licence text below', dir });
}
const licenseText = (dir: string) => {
  const f = readdirSync(dir).find((n) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(n));
  return f ? readFileSync(join(dir, f), 'utf8').trim() : '(no licence file in the package)';
};
const sorted = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'danfo.LICENSES.txt'),
  `dist/vendor/danfo.cjs bundles these packages (built by scripts/bundle-danfo.ts):\n${sorted.map((p) => `  ${p.name}@${p.version} (${p.license})`).join('\n')}\n\n` +
    sorted.map((p) => `==== ${p.name}@${p.version} (${p.license})\n\n${licenseText(p.dir)}\n`).join('\n'),
);
if (!existsSync(outfile)) throw new Error(`bundle-danfo: ${outfile} was not written`);
const kb = (readFileSync(outfile).length / 1024).toFixed(0);
console.log(`bundle-danfo: ${outfile} (${kb} KiB, ${sorted.length} packages)`);
