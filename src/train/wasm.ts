/**
 * The trainer's WebAssembly kernels (kernel.wat): the compiled module, shared by every
 * instance and sendable to worker threads. The built package carries kernel.wasm next to
 * this file (assembled at build time by scripts/build-wasm.mjs); running from the .ts
 * sources (tests, tsx), the text is assembled here with wabt (a devDependency), so the
 * module always matches its source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The kernels' exports (kernel.wat says what each computes; pointers are byte offsets). */
export interface Kernels {
  memory: WebAssembly.Memory;
  gemm(C: number, A: number, B: number, M: number, N: number, P: number, ars: number, aps: number, add: number): void;
  gemmNT(C: number, X: number, Y: number, M: number, K: number, N: number): void;
  requantize(W: number, EA: number, EB: number, codes: number, tab: number, tstride: number, I: number, J: number, Jp: number, hasB: number): number;
  floatEffective(W: number, EA: number, EB: number, sAp: number, sAn: number, sBp: number, sBn: number, n: number, hasB: number): void;
  ln(x: number): number;
  reluForward(U: number, t: number, a: number, n: number, J: number, Jp: number, H: number, NK: number, withLog: number): void;
  reluBackward(dU: number, U: number, a: number, n: number, J: number, Jp: number, D: number, DK: number, H: number, hasB: number, umax: number, pen: number): void;
  adam(W: number, M: number, V: number, gA: number, gB: number, sAp: number, sAn: number, sBp: number, sBn: number, n: number, hasB: number, b1: number, b2: number, lrc1: number, c2inv: number, eps: number, lrDecay: number, clip: number): void;
}

/** Assembles WebAssembly text with wabt (SIMD enabled): what the build script and the source fallback share. */
export async function assembleWat(text: string, name = 'kernel.wat'): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  const wabt = await (require('wabt') as () => Promise<{ parseWat(name: string, text: string, features: Record<string, boolean>): { validate(): void; toBinary(o: object): { buffer: Uint8Array }; destroy(): void } }>)();
  const mod = wabt.parseWat(name, text, { simd: true });
  try {
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled kernel module (once per thread). */
export function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const binary = join(here, 'kernel.wasm');
    const bytes = existsSync(binary) ? readFileSync(binary) : await assembleWat(readFileSync(join(here, 'kernel.wat'), 'utf8'));
    return WebAssembly.compile(new Uint8Array(bytes));
  })();
  return compiled;
}

/** A fresh instance of the kernels with its own memory. */
export function instantiate(module: WebAssembly.Module): Kernels {
  return new WebAssembly.Instance(module, {}).exports as unknown as Kernels;
}
