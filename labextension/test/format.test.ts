import { describe, expect, it } from 'vitest';

import { ago, callArguments, cost, count, fold, preview, pretty, seconds, ticks } from '../src/format';

describe('numbers', () => {
  it('reads durations at every scale', () => {
    expect(seconds(0.00042)).toBe('420 µs');
    expect(seconds(0.0123)).toBe('12.3 ms');
    expect(seconds(1.254)).toBe('1.25 s');
    expect(seconds(125)).toBe('2 min 05 s');
    expect(seconds(null)).toBe('-');
    expect(seconds(Number.NaN)).toBe('-');
  });

  it('writes tokens and cost', () => {
    expect(count(12345.4)).toBe('12,345');
    expect(cost(0.000123)).toBe('$0.000123');
    expect(cost(12.5)).toBe('$12.50');
    expect(cost(null)).toBe('-');
  });

  it('makes round axis ticks', () => {
    expect(ticks(2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(ticks(0.0009)).toEqual([0, 0.00025, 0.0005, 0.00075]);
    expect(ticks(0)).toEqual([0]);
  });

  it('says how long ago', () => {
    expect(ago(1000, 1010)).toBe('just now');
    expect(ago(1000, 1000 + 600)).toBe('10 min ago');
    expect(ago(1000, 1000 + 7200)).toBe('2 h ago');
    expect(ago(0, 86400 * 400)).toBe('1970-01-01');
  });
});

describe('values', () => {
  it('previews on one line, cut', () => {
    expect(preview({ a: 1 })).toBe('{"a":1}');
    expect(preview('a\n  b')).toBe('a b');
    expect(preview('x'.repeat(200), 10)).toBe('xxxxxxxxx…');
  });

  it('shows a call as name=value', () => {
    expect(callArguments({ city: 'Paris', days: 3 })).toBe('city="Paris", days=3');
    expect(callArguments('raw')).toBe('raw');
  });

  it('pretty-prints JSON, also JSON held in a string', () => {
    expect(pretty({ a: [1, 2] })).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(pretty('{"rows": 3}')).toBe('{\n  "rows": 3\n}');
    expect(pretty('{not json}')).toBe('{not json}');
    expect(pretty('SELECT 1')).toBe('SELECT 1');
  });

  it('folds long values and reads the kernel\'s cut marker', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const folded = fold(long, 12);
    expect(folded.folded).toBe(true);
    expect(folded.head.split('\n')).toHaveLength(12);
    expect(folded.full).toBe(long);
    const cut = fold('abc... (1,234,567 characters)');
    expect(cut.full).toBe('abc');
    expect(cut.originalLength).toBe(1234567);
    expect(fold('short').folded).toBe(false);
  });
});
