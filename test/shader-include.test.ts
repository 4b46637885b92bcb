// `#include "lib/name"`, the one way shaders share WGSL: every kernel expands from the table the browser bundle
// embeds (lib files included), each file goes in once, and cycles, missing files and malformed lines are clear
// errors — raised when a kernel handle resolves its source, which it does once.
import { describe, expect, it } from 'vitest';
import { defineKernel, expandIncludes } from '../src/gpu/runtime.js';
import { setShaderSources } from '../src/gpu/shader-source.js';
import { shaderTable } from '../src/web/node/build-web.js';

const INCLUDE = /^[ \t]*#include "([\w/]+)"/gm;

describe('shaders/ through the bundled shader table', () => {
  const table = shaderTable();
  const kernels = Object.keys(table).filter((name) => !name.startsWith('lib/'));

  it('holds the kernels and the lib files they include', () => {
    expect(kernels).toEqual(expect.arrayContaining(['softmax', 'layernorm', 'matmul', 'reduce', 'topk_matrix']));
    expect(Object.keys(table)).toEqual(
      expect.arrayContaining(['lib/prologue', 'lib/workgroup_reduce', 'lib/row_layout', 'lib/attention_common']),
    );
    const included = new Set(Object.values(table).flatMap((text) => [...text.matchAll(INCLUDE)].map((m) => m[1])));
    const libs = Object.keys(table).filter((name) => name.startsWith('lib/'));
    expect(libs.filter((lib) => !included.has(lib))).toEqual([]);
  });

  it('every kernel expands, each file once', () => {
    setShaderSources(table);
    for (const name of kernels) {
      const source = expandIncludes(name);
      expect(source, name).not.toMatch(/#include/);
      // lib/row_layout includes lib/workgroup_reduce, which includes lib/prologue: still one WG.
      expect(source.match(/^override WG\b/gm)?.length ?? 0, name).toBeLessThanOrEqual(1);
    }
    const softmax = expandIncludes('softmax');
    expect(softmax.match(/^override WG: u32 = 64u;$/gm)).toHaveLength(1);
    expect(softmax.match(/^fn wg_reduce\(/gm)).toHaveLength(1);
    expect(softmax).toContain('fn row_slot(');
  });
});

describe('include errors', () => {
  it('a cycle names its chain', () => {
    setShaderSources({ k: '#include "lib/a"', 'lib/a': '#include "lib/b"', 'lib/b': 'fn b() {}\n#include "lib/a"' });
    expect(() => expandIncludes('k')).toThrow(/shader 'lib\/b': include cycle k → lib\/a → lib\/b → lib\/a/);
    setShaderSources({ k: 'fn k() {}\n#include "k"' });
    expect(() => expandIncludes('k')).toThrow(/shader 'k': include cycle k → k/);
  });

  it('a missing file names the including shader and the path', () => {
    setShaderSources({ k: '#include "lib/prologue"', 'lib/prologue': '#include "lib/nowhere"' });
    expect(() => expandIncludes('k')).toThrow(/shader 'lib\/prologue': #include "lib\/nowhere" names no shader/);
  });

  it('a malformed include line is an error, not left in the source', () => {
    setShaderSources({ k: '#include lib/prologue' });
    expect(() => expandIncludes('k')).toThrow(/shader 'k': malformed include '#include lib\/prologue'/);
  });

  it('a diamond includes the shared file once, where it is first included', () => {
    setShaderSources({
      k: '#include "lib/a"\n#include "lib/b"',
      'lib/a': '#include "lib/c"\nA',
      'lib/b': '#include "lib/c"\nB',
      'lib/c': 'C',
    });
    expect(expandIncludes('k').split('\n')).toEqual(['C', 'A', '', 'B']);
  });

  it('a kernel handle resolves its source once, at first use, and reports include errors then', () => {
    setShaderSources({ k: '#include "lib/x"', 'lib/x': 'fn x() -> f32 { return {{VALUE}}; }' });
    const def = defineKernel({ shader: 'k', template: { VALUE: '1.0' } });
    setShaderSources({ k: '#include "lib/x"', 'lib/x': 'fn x() -> f32 { return {{VALUE}} + 1.0; }' });
    const source = def.source;
    expect(source).toBe('fn x() -> f32 { return 1.0 + 1.0; }');
    setShaderSources({ k: 'changed' });
    expect(def.source).toBe(source);
    const broken = defineKernel({ shader: 'k' });
    setShaderSources({ k: '#include "lib/gone"' });
    expect(() => broken.source).toThrow(/#include "lib\/gone" names no shader/);
  });
});
