// Training settings are validated before anything runs: every numeric setting must be a finite number (a NaN
// or an infinity would train to garbage and read back as null from config.json), and γ must be a set of known,
// non-negative, finite weights that are not all zero.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../src/train/config.js';

function problem(overrides: Record<string, unknown>): string {
  try {
    resolveConfig(overrides, 'g.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`);
}

describe('resolveConfig', () => {
  it('rejects a non-finite value of every numeric setting, naming the field and the value', () => {
    const numeric = Object.entries(DEFAULT_CONFIG)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    expect(numeric).toContain('lr');
    for (const field of numeric) {
      for (const bad of [Infinity, -Infinity, NaN])
        expect(problem({ [field]: bad })).toBe(`g.json: ${field} must be a finite number, got ${bad}`);
    }
    expect(problem({ lr: '0.1' })).toBe('g.json: lr must be a finite number, got "0.1"');
    // JSON has no Infinity, but an overflowing literal parses to one.
    expect(problem(JSON.parse('{"lr": 1e999}'))).toBe('g.json: lr must be a finite number, got Infinity');
  });

  it('validates gammas: known keys, finite numbers ≥ 0, not all zero', () => {
    expect(problem({ gammas: { disease: 'x' } })).toBe('g.json: gammas.disease must be a finite number ≥ 0, got "x"');
    expect(problem({ gammas: { foo: 1 } })).toMatch(
      /^g\.json: gammas\.foo is not a known weight \(disease, adjective, direction\)$/,
    );
    expect(problem({ gammas: { adjective: -0.1 } })).toBe(
      'g.json: gammas.adjective must be a finite number ≥ 0, got -0.1',
    );
    expect(problem({ gammas: { direction: Infinity } })).toBe(
      'g.json: gammas.direction must be a finite number ≥ 0, got Infinity',
    );
    expect(problem({ gammas: { disease: 0, adjective: 0, direction: 0 } })).toMatch(
      /^g\.json: gammas must be not all zero/,
    );
    expect(problem({ gammas: 'x' })).toMatch(/^g\.json: gammas must be an object/);
    expect(problem({ gammas: [1, 2] })).toMatch(/^g\.json: gammas must be an object/);
    expect(resolveConfig({ gammas: { adjective: 0, direction: 0 } }).gammas).toEqual({
      disease: 0.85,
      adjective: 0,
      direction: 0,
    });
  });

  it('keeps the existing range checks and accepts the defaults', () => {
    expect(resolveConfig({})).toEqual(DEFAULT_CONFIG);
    expect(problem({ steps: 2.5 })).toBe('g.json: steps must be a positive integer, got 2.5');
    expect(problem({ lr: 0 })).toBe('g.json: lr must be positive, got 0');
    expect(problem({ bogus: 1 })).toBe('g.json: bogus is not a known setting');
  });
});
