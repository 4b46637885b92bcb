// MedTrim against its baselines on the built-in data set: the same seeds, data, steps and evaluation for each
// objective, each trained by `medtrim train` in its own run directory; then one comparison table.
// Run: npx tsx scripts/experiment.ts [--objectives medtrim,infonce] [--steps N] [--backend gles] [--out DIR]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RetrievalResults } from '../src/eval/retrieval.js';
import type { ZeroShotResults } from '../src/eval/classification.js';
import { DIRECTIONS } from '../src/eval/retrieval.js';

const { values } = parseArgs({
  options: { objectives: { type: 'string', default: 'medtrim,infonce' }, steps: { type: 'string' }, backend: { type: 'string', default: 'gles' }, out: { type: 'string', default: 'runs/experiment' } },
});
const objectives = values.objectives!.split(',');
const extra = values.steps ? ['--steps', values.steps] : [];

interface Eval {
  step: number;
  samples: number;
  retrieval: RetrievalResults;
  zeroShot: ZeroShotResults;
}
const results = new Map<string, Eval>();
for (const objective of objectives) {
  const dir = join(values.out!, objective);
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawnSync(process.execPath, ['bin/medtrim.js', 'train', '--objective', objective, '--out', dir, '--backend', values.backend!, '--quiet', ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (child.status !== 0) throw new Error(`training ${objective} failed (exit ${child.status})`);
  console.error(`${objective}: ${((performance.now() - t0) / 60000).toFixed(1)} min`);
  results.set(objective, JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as Eval);
}

const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(3));
const lines: string[] = [];
const config = JSON.parse(readFileSync(join(values.out!, objectives[0]!, 'config.json'), 'utf8'));
lines.push(`### MedTrim vs baselines on the built-in synthetic data (preset ${config.preset}, ${config.steps} steps of ${config.batchSize}, seed ${config.seed}, data seed ${config.dataSeed}, ${results.get(objectives[0]!)!.samples} test samples)`);
lines.push('', `\`npx tsx scripts/experiment.ts --objectives ${objectives.join(',')}${values.steps ? ` --steps ${values.steps}` : ''} --backend ${values.backend}\``, '');
for (const level of ['coarse', 'fine'] as const) {
  lines.push(`**${level === 'coarse' ? 'Coarse' : 'Fine-grained'} Precision@R** (${level === 'coarse' ? 'same disease classes' : 'same classes, directions and severity'})`, '');
  lines.push(`| direction | objective | P@1 | P@10 | P@20 | P@50 | mAP |`, `| --- | --- | --- | --- | --- | --- | --- |`);
  for (const direction of DIRECTIONS) {
    for (const objective of objectives) {
      const s = results.get(objective)!.retrieval[direction]?.[level];
      lines.push(`| ${direction} | ${objective} | ${[1, 10, 20, 50].map((r) => fmt(s?.precisionAt[r])).join(' | ')} | ${fmt(s?.map)} |`);
    }
  }
  lines.push('');
}
lines.push('**Zero-shot classification** (class prompts)', '', '| objective | macro-AUC | macro-F1 | mean accuracy |', '| --- | --- | --- | --- |');
for (const objective of objectives) {
  const z = results.get(objective)!.zeroShot;
  lines.push(`| ${objective} | ${fmt(z.macroAuc)} | ${fmt(z.macroF1)} | ${fmt(z.meanAccuracy)} |`);
}
const md = lines.join('\n');
console.log(md);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/experiment.md', md + '\n');
