import { resolveDesign } from '../../src/design/index.js';
import { ConfigError } from '../../src/util/errors.js';

describe('design config', () => {
  it('defaults to the reference cells on GF180MCU at 1.8 V', () => {
    const d = resolveDesign({});
    expect(d.pdk.name).toBe('gf180mcu');
    expect(d.vdd).toBe(1.8);
    expect(d.sizes.soma.n.w).toBeCloseTo(2.7e-6, 12);
    expect(d.sizes.soma.n.l).toBeCloseTo(0.45e-6, 12);
    expect(d.sizes.synapse.src).toEqual({ w: expect.closeTo(0.27e-6, 12), l: expect.closeTo(0.54e-6, 12) });
  });

  it('design hash ignores the die seed but not the sizes', () => {
    expect(resolveDesign({ seed: 1 }).hash).toBe(resolveDesign({ seed: 2 }).hash);
    expect(resolveDesign({ soma: { n: { w: '3u' } } }).hash).not.toBe(resolveDesign({}).hash);
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown PDK', { pdk: 'tsmc7' }, /unknown PDK "tsmc7".*gf180mcu/],
    ['unknown corner', { corner: 'xx' }, /unknown corner "xx".*tt/],
    ['width below minimum', { soma: { n: { w: '0.1u' } } }, /soma\.n\.w = 100n is below the gf180mcu nfet minimum 220n/],
    ['length below minimum', { synapse: { src: { l: '0.2u' } } }, /synapse\.src\.l = 200n is below the gf180mcu pfet minimum 280n/],
    ['non-numeric size', { soma: { p: { l: 'long' } } }, /soma\.p\.l: "long" is not a number/],
    ['unknown field', { soma: { q: { w: '1u' } } }, /soma/],
    ['vdd above maximum', { vdd: 5 }, /vdd 5 V exceeds/],
  ];
  it.each(bad)('rejects %s with a message naming the field', (_name, input, msg) => {
    expect(() => resolveDesign(input)).toThrow(ConfigError);
    expect(() => resolveDesign(input)).toThrow(msg);
  });
});
