// Assembles src/train/kernel.wat into dist/train/kernel.wasm (npm run build; the package's
// prepare step). Running from the sources, src/train/wasm.ts assembles the text itself.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wabt = await createRequire(import.meta.url)('wabt')();
const mod = wabt.parseWat('kernel.wat', readFileSync(join(root, 'src/train/kernel.wat'), 'utf8'), { simd: true });
mod.validate();
mkdirSync(join(root, 'dist/train'), { recursive: true });
writeFileSync(join(root, 'dist/train/kernel.wasm'), mod.toBinary({}).buffer);
mod.destroy();
