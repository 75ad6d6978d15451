/*
 * The package as a user gets it: packed, installed from the npm registry into an empty project,
 * used through its public entry point by examples/iris-flow.ts (type-checked, then run).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs a command; resolves with its exit code and output (never rejects). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd, env: { ...process.env, CODESIGN_DEBUG: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Source files newer than what `npm run build` made from them (the test packs dist/ as built). */
function staleBuild(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) {
        const js = join(REPO, 'dist', relative(join(REPO, 'src'), p)).replace(/\.ts$/, '.js');
        if (!existsSync(js) || statSync(js).mtimeMs < statSync(p).mtimeMs) stale.push(relative(REPO, p));
      }
    }
  };
  walk(join(REPO, 'src'));
  if (!existsSync(join(REPO, 'dist', 'vendor', 'danfo.cjs'))) stale.push('dist/vendor/danfo.cjs (missing)');
  return stale;
}

describe('the published package', () => {
  it('installs from the npm registry alone into an empty project; the Iris example type-checks and runs against its public API', async () => {
    // npm pack runs no build here (jest may be reading dist/ in other tests): dist/ must be current.
    const stale = staleBuild();
    if (stale.length) throw new Error(`dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: run npm run build (npm ci does) before this test`);
    const tmp = tempDir('codesign-packed-');
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
    expect(pack.stderr + `exit ${pack.code}`).toMatch(/exit 0$/);
    const tarball = join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);

    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    expect(install.stderr + `exit ${install.code}`).toMatch(/exit 0$/);
    // danfo.js travels inside the package (dist/vendor/danfo.cjs): none of its dependency tree is installed.
    for (const pkg of ['danfojs', 'xlsx', '@tensorflow/tfjs', 'mathjs', 'plotly.js-dist-min']) expect([pkg, existsSync(join(app, 'node_modules', pkg))]).toEqual([pkg, false]);
    // Only the public entry point is exported.
    const deep = await run(process.execPath, ['--input-type=module', '-e', "await import('codesign/dist/train/run.js')"], app);
    expect(deep.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);

    // The example, type-checked by the project's TypeScript against the installed declarations (no skipLibCheck).
    copyFileSync(join(REPO, 'examples', 'iris-flow.ts'), join(app, 'iris-flow.ts'));
    const tsconfig = {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] },
      files: ['iris-flow.ts'],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = await run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app);
    expect(tsc.stdout + tsc.stderr + `exit ${tsc.code}`).toMatch(/^exit 0$/);

    // A short flow: the wasm engine (no native tools), 60 epochs, 6 verified test samples.
    const flow = await run(process.execPath, [join(app, 'out', 'iris-flow.js'), 'run-1', '--epochs', '60', '--samples', '6'], app);
    expect(flow.stderr + `exit ${flow.code}`).toMatch(/exit 0$/);
    expect(flow.stdout).toMatch(/layered SPICE, 6 test samples: accuracy [\d.]+ %, models [\d.]+ %, agreement [\d.]+ %/);
    const verify = JSON.parse(readFileSync(join(app, 'run-1', 'verify.json'), 'utf8'));
    expect(verify.agreement).toBeGreaterThanOrEqual(5 / 6);
    expect(verify.provenance.weights).toMatchObject({ file: 'weights.json', cross_die: false });
    // characterization.csv is written through the bundled danfo.js.
    expect(readFileSync(join(app, 'run-1', 'characterization.csv'), 'utf8').split('\n')[0]).toBe('device,kind,layer,pre,post,config,point,x_a,y_a');
    expect(existsSync(join(app, 'run-1', 'report.html'))).toBe(true);

    // The command line from the same install.
    const cli = await run(join(app, 'node_modules', '.bin', 'codesign'), ['--version'], app);
    expect(cli.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  }, 900_000);
});
