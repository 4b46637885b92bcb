// Import rules for src/, checked by `npx depcruise src bench scripts test` (part of scripts/test.sh).
// README "Layout" describes the layer order below; change both together.

/** The layers of src/, lowest first. A folder imports only from folders in earlier steps (and from itself). */
const STEPS = [
  ['util', 'io', 'types'],
  ['ober'],
  ['text', 'data', 'eval'],
  ['report'],
  ['gpu'],
  ['tensor'],
  ['ops', 'mining'],
  ['autograd'],
  ['nn'],
  ['models'],
  ['bench', 'train'],
  ['web'],
  ['cli'],
];

/** Folders that stand alone: they import only these, whatever their place in the order. */
const STANDALONE = {
  ober: ['io', 'util'],
  mining: ['ober', 'gpu', 'tensor', 'io', 'util'],
};

const known = STEPS.flat();
const alternatives = (folders) => `^src/(${folders.join('|')})/`;

const layerRules = STEPS.flatMap((step, i) =>
  step.map((folder) => {
    const allowed = STANDALONE[folder] ?? STEPS.slice(0, i).flat();
    return {
      name: `layer-${folder}`,
      comment: `src/${folder} imports only from ${allowed.length ? allowed.map((f) => `src/${f}`).join(', ') : 'itself'} (README "Layout")`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: alternatives([folder, ...allowed]) },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles, type-only imports included: a module must not depend on itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-stays-in-src',
      comment: 'src/ is the library; bench/, scripts/ and test/ use it, never the reverse.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(bench|scripts|test)/' },
    },
    {
      name: 'src-folder-has-a-layer',
      comment: 'Every folder of src/ has a place in STEPS (and in README "Layout").',
      severity: 'error',
      from: { path: '^src/', pathNot: alternatives(known) },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or package (the browser bundle provides the medtrim: modules).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^medtrim:' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Type-only imports are edges too: a type cycle is still a cycle.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts', '.json'],
    },
  },
};
