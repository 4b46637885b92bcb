// WGSL lives in shaders/ (shared code in shaders/lib, included with #include): no string in src/ holds WGSL
// declarations or statements, except the generated readers of src/ops/attention.ts quadReaders (see its comment).
// Template values stay what they are for: a variant's expression, type or constant (`x * y`, `vec4<f32>`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

/** Functions allowed to return generated WGSL, by file under src/. */
const GENERATORS: Record<string, string[]> = { 'ops/attention.ts': ['quadReaders'] };

/** What only WGSL source (not an expression or a type) has: declarations, attributes, directives, statements. */
const WGSL_FRAGMENTS: [string, RegExp][] = [
  ['a function declaration', /\bfn\s+\w+\s*\(/],
  // Attributes as they sit on declarations (an error message may name `@group(0)`).
  [
    'an attribute',
    /@(compute\b|workgroup_size\s*\(|group\(\d+\)\s*@binding|binding\(\d+\)\s*var|builtin\(\w+\)\s*\w+\s*:)/,
  ],
  ['a module-scope variable', /\bvar<(workgroup|storage|uniform|private)\b/],
  ['a struct', /\bstruct\s+\w+\s*\{/],
  ['an override', /\boverride\s+\w+\s*:/],
  ['a directive', /^\s*(enable|requires|diagnostic)\s+\w+/m],
  ['an include', /^\s*#include\s/m],
  ['a barrier', /\b(workgroupBarrier|storageBarrier)\s*\(/],
  ['a statement', /\b(let|var|const)\s+\w+\s*(:\s*[\w<>, ]+)?=[^;]*;[\s\S]*(\b\d+u\b|\b[fiu]32\b|\bvec[234]\b)/],
];

interface WgslString {
  file: string;
  line: number;
  what: string;
  text: string;
}

/** String and template literals of a TS source that hold WGSL, outside the allowed generators. */
function wgslStrings(file: string, source: string): WgslString[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const allowed = GENERATORS[file] ?? [];
  const found: WgslString[] = [];
  const visit = (node: ts.Node, inGenerator: boolean): void => {
    if (ts.isFunctionDeclaration(node) && node.name && allowed.includes(node.name.text)) inGenerator = true;
    let text: string | null = null;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node))
      // The literal parts, with each substitution as a placeholder name.
      text = node.head.text + node.templateSpans.map((span) => `x${span.literal.text}`).join('');
    if (text !== null && !inGenerator) {
      const hit = WGSL_FRAGMENTS.find(([, pattern]) => pattern.test(text));
      if (hit) {
        const line = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        found.push({ file, line, what: hit[0], text: text.slice(0, 80) });
      }
      return;
    }
    ts.forEachChild(node, (child) => visit(child, inGenerator));
  };
  visit(sf, false);
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

describe('WGSL stays in shaders/', () => {
  it('no string in src/ holds WGSL outside the allowed generators', () => {
    const files = tsFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => wgslStrings(relative(SRC, f).split('\\').join('/'), readFileSync(f, 'utf8')));
    expect(found.map((s) => `${s.file}:${s.line}: ${s.what} in '${s.text}'`)).toEqual([]);
  });

  it('only the runtime reads shader files (shared code is included, not pasted in from TS)', () => {
    const readers = tsFiles(SRC).filter((f) => /\bshaderSource\b/.test(readFileSync(f, 'utf8')));
    expect(readers.map((f) => relative(SRC, f).split('\\').join('/')).sort()).toEqual([
      'gpu/runtime.ts',
      'gpu/shader-source.ts',
    ]);
  });

  it('flags the shared-WGSL strings the engine used to hold, and not template values', () => {
    const flagged = (source: string, file = 'ops/x.ts') => wgslStrings(file, source).map((s) => s.what);
    // The shapes of WORKGROUP_REDUCE, ROWS, the reduce folds, topk's SOURCE and the GELU prelude.
    expect(
      flagged('export const R = /* wgsl */ `\nvar<workgroup> s: array<f32, WG>;\nfn r(v: f32) -> f32 {}`;'),
    ).toEqual(['a function declaration']);
    expect(flagged('const ROWS = `\noverride ROW_THREADS: u32 = WG;\n`;')).toEqual(['an override']);
    expect(flagged('const FOLD = `\n  partial[lid] = acc;\n  workgroupBarrier();`;')).toEqual(['a barrier']);
    expect(
      flagged(`const f = (g: string) => \`\n  let folded = \${g}(acc);\n  if (lane == 0u) { p[0] = folded; }\`;`),
    ).toEqual(['a statement']);
    expect(flagged('const s = `@group(0) @binding(1) var<storage, read> e: array<i32>;`;')).toEqual(['an attribute']);
    expect(flagged("const b = ', @builtin(subgroup_size) sg_size: u32';")).toEqual(['an attribute']);
    expect(flagged("const e = 'enable subgroups;';")).toEqual(['a directive']);
    expect(flagged('const i = \'#include "lib/prologue"\';')).toEqual(['an include']);
    // Per-variant parameters pass.
    const values = [
      "const a = { wgsl: 'select(0.0, 1.0, x > y)' };",
      `const t = { A_ELEMENT: 'vec4<f32>', A_FETCH: \`vec4<f32>(\${n}[at], \${n}[at + 1u], \${n}[at + 2u], \${n}[at + 3u])\` };`,
      `const g = \`0.5 * x * (1.0 + tanh(clamp(\${k} * (x + \${c} * x * x * x), -10.0, 10.0)))\`;`,
      "const m = { combine: 'max(a, b)', identity: '-3.4028234663852886e38', subgroup: 'subgroupMax' };",
      `throw new Error(\`kernel \${name}: template value {{\${key}}} not given\`);`,
    ];
    for (const v of values) expect(flagged(v), v).toEqual([]);
    // The generator is allowed only where it is listed.
    const generator = `function quadReaders(b: string[]) { return b.map((n) => \`fn \${n}_quads(base: u32) -> u32 {}\`); }`;
    expect(flagged(generator, 'ops/attention.ts')).toEqual([]);
    expect(flagged(generator, 'ops/matmul.ts')).toEqual(['a function declaration']);
  });
});
