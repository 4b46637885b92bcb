// KernelSpec.repeat: `@each(NAME)` lines and blocks become one copy per index, `$NAME` replaced.
import { describe, expect, it } from 'vitest';
import { expandRepeats } from '../src/gpu/runtime.js';

describe('expandRepeats', () => {
  it('repeats single lines and blocks, leaves other lines alone', () => {
    const source = [
      'let a = 1;',
      '  @each(R) var m$R = f($R);',
      '@each(R)',
      'let x$R = $R;',
      'let y$R = x$R;',
      '@end',
      'let z = 2;',
    ].join('\n');
    expect(expandRepeats(source, { R: 2 }, 'test').split('\n')).toEqual([
      'let a = 1;',
      '  var m0 = f(0);',
      '  var m1 = f(1);',
      'let x0 = 0;',
      'let y0 = x0;',
      'let x1 = 1;',
      'let y1 = x1;',
      'let z = 2;',
    ]);
  });

  it('blocks nest: an @each(C) inside an @each(R) block gives R × C copies', () => {
    const source = ['@each(R)', '@each(C) acc$R_$C += b$C * a$R;', '@end'].join('\n');
    expect(expandRepeats(source, { R: 2, C: 2 }, 'test').split('\n')).toEqual([
      'acc0_0 += b0 * a0;',
      'acc0_1 += b1 * a0;',
      'acc1_0 += b0 * a1;',
      'acc1_1 += b1 * a1;',
    ]);
    const blocks = ['@each(R)', 'r$R;', '@each(C)', 'c$R$C;', '@end', 'after$R;', '@end'].join('\n');
    expect(expandRepeats(blocks, { R: 2, C: 2 }, 'test').split('\n')).toEqual([
      'r0;',
      'c00;',
      'c01;',
      'after0;',
      'r1;',
      'c10;',
      'c11;',
      'after1;',
    ]);
  });

  it('a count of 1 keeps one copy; unknown names and unclosed blocks are errors naming the shader', () => {
    expect(expandRepeats('@each(R) s$R += 1;', { R: 1 }, 'k')).toBe('s0 += 1;');
    expect(() => expandRepeats('@each(Q) x$Q;', { R: 2 }, 'attention_x')).toThrow(
      /attention_x: @each\(Q\) has no count/,
    );
    expect(() => expandRepeats('@each(R)\nx$R;', { R: 2 }, 'attention_x')).toThrow(
      /attention_x: @each\(R\) block without @end/,
    );
  });
});
