import * as crypto from 'node:crypto';

/**
 * xoshiro128** seeded from SHA-256 of a key: each named stream is independent of every
 * other, so drawing more values in one place never shifts the draws of another.
 */
export class Stream {
  private s: Uint32Array;
  private spare: number | undefined;

  constructor(key: string) {
    const d = sha256Digest(key);
    this.s = new Uint32Array([d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)]);
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** SHA-256 of a string: the one-shot crypto.hash where Node has it (20.12+, twice as fast per call; a die draws one per transistor). */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;
const sha256Digest = (key: string): Buffer => (oneShot ? oneShot('sha256', key, 'buffer') : crypto.createHash('sha256').update(key).digest());

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The stream of one named thing on one die. */
export function streamFor(dieSeed: number, path: string): Stream {
  return new Stream(`codesign/die/${dieSeed}/${path}`);
}
