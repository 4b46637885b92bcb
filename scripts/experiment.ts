// MedTrim against its baselines, its own ablations, and variants of its triplet formation, on the built-in
// data set: every arm trains with `medtrim train` at the main job's recipe (recipes/main.json over the config
// defaults) plus the arm's settings, over the same seeds, data and evaluation; then one markdown table per suite in
// bench/results. A run whose eval.json exists with the same config is reused, so an interrupted experiment
// resumes where it stopped.
//
//   npx tsx scripts/experiment.ts --suite objectives [--seeds 1,2,3]   → bench/results/experiment.md
//   npx tsx scripts/experiment.ts --suite ablations  [--seeds 1]       → bench/results/experiment-ablations.md
//   npx tsx scripts/experiment.ts --suite variants   [--seeds 1]       → bench/results/medtrim-variants.md
// Options: --steps N (a shorter budget than the recipe's, stated in the output), --recipe FILE, --backend gles|swiftshader|native,
// --out DIR (run directories, default runs/experiment), --arms a,b (a subset of the suite's arms, by run-directory
// name: all-margin-0.1, medtrim, …).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ZeroShotResults } from '../src/eval/classification.js';
import { DIRECTIONS, R_VALUES, type RetrievalResults } from '../src/eval/retrieval.js';
import { resolveConfig } from '../src/train/config.js';

interface Arm {
  name: string;
  settings: Record<string, unknown>;
}

const paperMining = { triplets: 'paper' };
const SUITES: Record<string, { title: string; file: string; arms: Arm[]; defaultSeeds: string }> = {
  objectives: {
    title: "MedTrim against contrastive alignment and the paper's baselines",
    file: 'experiment',
    defaultSeeds: '1,2,3',
    arms: [
      { name: 'medtrim', settings: { objective: 'medtrim' } },
      { name: 'infonce', settings: { objective: 'infonce' } },
      { name: 'disease-only', settings: { objective: 'disease-only' } },
      { name: 'cross-modal', settings: { objective: 'cross-modal' } },
    ],
  },
  ablations: {
    title: 'MedTrim ablations: score weights γ and the semi-hard band τ',
    file: 'experiment-ablations',
    defaultSeeds: '1',
    arms: [
      { name: 'γ 1/0/0 (diseases only)', settings: { gammas: { disease: 1, adjective: 0, direction: 0 } } },
      { name: 'γ 0.85/0.10/0.05 (default)', settings: {} },
      {
        name: 'γ 0.60/0.25/0.15 (descriptors)',
        settings: { gammas: { disease: 0.6, adjective: 0.25, direction: 0.15 } },
      },
      { name: 'τ [0.10, 0.40)', settings: { tauMin: 0.1, tauMax: 0.4 } },
      { name: 'τ [0.40, 0.80)', settings: { tauMin: 0.4, tauMax: 0.8 } },
    ],
  },
  variants: {
    title: "How MedTrim forms its triplets: the paper's mining and variants within its definition",
    file: 'medtrim-variants',
    defaultSeeds: '1',
    arms: [
      { name: 'paper: 1 triplet/anchor, score band', settings: { ...paperMining } },
      { name: 'paper, dropout 0.1', settings: { ...paperMining, imageDropout: 0.1, textDropout: 0.1 } },
      { name: 'all valid triplets', settings: { triplets: 'all' } },
      { name: 'semi-hard in embedding space', settings: { triplets: 'semihard' } },
      { name: 'all, η 0.2', settings: { triplets: 'all', eta: 0.2 } },
      { name: 'all, margin 0.1', settings: { triplets: 'all', margin: 0.1 } },
      { name: 'all, batch 64 (half the steps)', settings: { triplets: 'all', batchSize: 64, halveSteps: true } },
      { name: 'all, pixels standardised', settings: { triplets: 'all', pixelNorm: 'dataset' } },
      { name: 'all, mean pooling', settings: { triplets: 'all', imagePooling: 'mean' } },
    ],
  },
};

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'objectives' },
    seeds: { type: 'string' },
    steps: { type: 'string' },
    arms: { type: 'string' },
    backend: { type: 'string', default: 'gles' },
    out: { type: 'string', default: 'runs/experiment' },
    recipe: { type: 'string', default: 'recipes/main.json' },
  },
});
const recipe = JSON.parse(readFileSync(values.recipe!, 'utf8')) as Record<string, unknown>;
const base = resolveConfig(recipe, values.recipe);
const suite = SUITES[values.suite!];
if (!suite) throw new Error(`--suite must be one of ${Object.keys(SUITES).join(', ')}`);
const seeds = (values.seeds ?? suite.defaultSeeds).split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0))
  throw new Error(`--seeds must be a list of non-negative integers, got ${values.seeds}`);
const steps = values.steps === undefined ? base.steps : Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${values.steps}`);

interface Eval {
  step: number;
  samples: number;
  retrieval: RetrievalResults;
  zeroShot: ZeroShotResults;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-|-$/g, '');

// Arms are picked by their run-directory name (names themselves hold commas), e.g. --arms all-margin-0.1,medtrim.
const wanted = values.arms?.split(',') ?? suite.arms.map((a) => slug(a.name));
const unknown = wanted.filter((w) => !suite.arms.some((a) => slug(a.name) === w));
if (unknown.length > 0)
  throw new Error(
    `--arms: no arm ${unknown.join(', ')} in suite ${values.suite}; its arms: ${suite.arms.map((a) => slug(a.name)).join(', ')}`,
  );
const arms = suite.arms.filter((a) => wanted.includes(slug(a.name)));

/** Trains and evaluates one arm at one seed (or reuses a finished run of the same config). */
function runArm(arm: Arm, seed: number): { eval: Eval; minutes: number } {
  const { halveSteps, ...settings } = arm.settings;
  const config = resolveConfig({ ...recipe, ...settings, seed, steps: halveSteps ? Math.round(steps / 2) : steps });
  const dir = join(values.out!, values.suite!, `${slug(arm.name)}-seed${seed}`);
  const evalPath = join(dir, 'eval.json');
  const timing = join(dir, 'minutes.txt');
  if (
    existsSync(evalPath) &&
    JSON.stringify(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))) === JSON.stringify(config)
  ) {
    console.error(`${arm.name}, seed ${seed}: reusing ${dir}`);
    return {
      eval: JSON.parse(readFileSync(evalPath, 'utf8')) as Eval,
      minutes: existsSync(timing) ? Number(readFileSync(timing, 'utf8')) : NaN,
    };
  }
  mkdirSync(dir, { recursive: true });
  const configPath = `${dir}.config.json`;
  writeFileSync(configPath, JSON.stringify(config));
  const t0 = performance.now();
  const resume = existsSync(join(dir, 'checkpoint.safetensors')) ? ['--resume'] : ['--config', configPath];
  const child = spawnSync(
    process.execPath,
    ['bin/medtrim.js', 'train', ...resume, '--out', dir, '--backend', values.backend!, '--quiet'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`training ${arm.name} (seed ${seed}) failed (exit ${child.status})`);
  const minutes = (performance.now() - t0) / 60000;
  writeFileSync(timing, minutes.toFixed(2));
  console.error(`${arm.name}, seed ${seed}: ${minutes.toFixed(1)} min`);
  return { eval: JSON.parse(readFileSync(evalPath, 'utf8')) as Eval, minutes };
}

const results = new Map<string, Eval[]>();
for (const seed of seeds)
  for (const arm of arms) results.set(arm.name, [...(results.get(arm.name) ?? []), runArm(arm, seed).eval]);

// ---- tables ----
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const f3 = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(3));
const cell = (xs: number[]) => (xs.length > 1 ? `${f3(mean(xs))} ± ${f3(sd(xs))}` : f3(xs[0]!));
type Metric = { label: string; get: (e: Eval) => number };

const metrics: Metric[] = [];
for (const direction of DIRECTIONS) {
  for (const level of ['coarse', 'fine'] as const) {
    for (const r of R_VALUES)
      metrics.push({
        label: `${direction} ${level} P@${r}`,
        get: (e) => e.retrieval[direction]?.[level].precisionAt[r] ?? NaN,
      });
    metrics.push({ label: `${direction} ${level} mAP`, get: (e) => e.retrieval[direction]?.[level].map ?? NaN });
  }
}
metrics.push(
  { label: 'zero-shot macro-AUC', get: (e) => e.zeroShot.macroAuc },
  { label: 'zero-shot macro-F1', get: (e) => e.zeroShot.macroF1 },
);

const first = results.get(arms[0]!.name)![0]!;
const lines: string[] = [`# ${suite.title}`, ''];
const cmd = `npx tsx scripts/experiment.ts --suite ${values.suite} --seeds ${seeds.join(',')}${values.steps ? ` --steps ${steps}` : ''} --backend ${values.backend}`;
const recipeText = `preset ${base.preset}, ${base.imageSize} px images in ${base.patchSize} px patches, dropout ${base.imageDropout}/${base.textDropout}, batch ${base.batchSize}, lr ${base.lr}, warm-up ${base.warmupSteps}, triplets ${base.triplets}`;
const budget = steps === base.steps ? `${steps} steps` : `**${steps} steps** (the recipe has ${base.steps})`;
lines.push(
  `\`${cmd}\` — the main job's recipe (${values.recipe}: ${recipeText}) with ${budget}; data seed ${base.dataSeed}, ${first.samples} test samples; seeds ${seeds.join(', ')}${seeds.length > 1 ? ' (cells: mean ± sample sd over seeds)' : ''}.`,
  '',
);
const chanceMap = (direction: (typeof DIRECTIONS)[number], level: 'coarse' | 'fine') =>
  first.retrieval[direction]?.[level].chance?.map ?? NaN;

lines.push(
  `| metric | ${arms.map((a) => a.name).join(' | ')} | chance |`,
  `| --- | ${arms.map(() => '---').join(' | ')} | --- |`,
);
for (const m of metrics) {
  const [direction, level] = m.label.split(' ') as [(typeof DIRECTIONS)[number], 'coarse' | 'fine'];
  const chance = m.label.endsWith('mAP')
    ? f3(chanceMap(direction, level))
    : m.label.startsWith('zero-shot macro-AUC')
      ? '0.500'
      : '';
  lines.push(`| ${m.label} | ${arms.map((a) => cell(results.get(a.name)!.map(m.get))).join(' | ')} | ${chance} |`);
}
lines.push(
  '',
  '| hubness: distinct top-1 image→text | ' +
    arms.map((a) => cell(results.get(a.name)!.map((e) => e.retrieval['image→text']!.distinctTop1))).join(' | ') +
    ` | of ${first.samples} |`,
);

const medtrim = results.get('medtrim');
const infonce = results.get('infonce');
if (medtrim && infonce && seeds.length > 1) {
  lines.push(
    '',
    '## Paired per-seed difference, MedTrim − InfoNCE',
    '',
    `| metric | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean ± sd |`,
    `| --- | ${seeds.map(() => '---').join(' | ')} | --- |`,
  );
  for (const m of metrics) {
    const diffs = seeds.map((_, i) => m.get(medtrim[i]!) - m.get(infonce[i]!));
    lines.push(`| ${m.label} | ${diffs.map(f3).join(' | ')} | ${cell(diffs)} |`);
  }
}
const md = lines.join('\n') + '\n';
console.log(md);
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${suite.file}.md`, md);
writeFileSync(
  `bench/results/${suite.file}.json`,
  JSON.stringify(
    { command: cmd, seeds, steps, arms: arms.map((a) => ({ ...a, evals: results.get(a.name) })) },
    null,
    1,
  ) + '\n',
);
