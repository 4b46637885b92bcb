// Where a run's zero-shot AUC is lost: the image encoder, or the prompt protocol. For each class it scores the
// test split five ways and prints the macro-AUC of each:
//   images × prompts     the protocol of `medtrim eval` (cos to "There is X." − cos to "No X.")
//   reports × prompts    the same protocol with each sample's own report embedding in place of its image
//                        (what a perfect image encoder aligned to its report would get)
//   images × centroid    the image embeddings along the direction between the mean training image
//                        embedding with and without the class (a linear probe's poor cousin: how much of the
//                        class the image embedding holds at all)
//   reports × centroid   the same for report embeddings
//   images × report centroid  the image embeddings along the direction between the mean training REPORT
//                        embedding with and without the class: zero-shot with prompts learnt from the training
//                        reports (no image labels), the best a report-derived prompt pair can do along one direction
// Run: npx tsx scripts/zero-shot-diagnosis.ts --run DIR [--backend gles] [--train-samples 800]
// Writes bench/results/zero-shot-diagnosis.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { classPrompts, promptScores, rocAuc } from '../src/eval/classification.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { embedSamples, embedTexts } from '../src/train/evaluate.js';
import { openRun } from '../src/train/run.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    backend: { type: 'string', default: 'gles' },
    'train-samples': { type: 'string', default: '800' },
  },
});
if (!values.run) throw new Error('--run DIR is required');
const gpu = await acquireGpu({ backend: values.backend as BackendChoice });
try {
  const rt = new Runtime(gpu);
  const run = await openRun(rt, values.run);
  const ds = run.data.dataset;
  const test = ds.split('test').map((i) => ds.sample(i));
  const train = ds
    .split('train')
    .slice(0, Number(values['train-samples']))
    .map((i) => ds.sample(i));
  const dim = run.model.vit.embedDim;
  const [et, es] = [
    await embedSamples(rt, run.model, run.data, train),
    await embedSamples(rt, run.model, run.data, test),
  ];
  const classes = [...new Set(test.flatMap((s) => Object.keys(s.truth)))].sort();
  const prompts = classes.map(classPrompts);
  const positive = await embedTexts(
    rt,
    run.model,
    run.data,
    prompts.map((p) => p.positive),
  );
  const negative = await embedTexts(
    rt,
    run.model,
    run.data,
    prompts.map((p) => p.negative),
  );
  const labels = (c: string) => test.map((s) => c in s.truth);

  const byPrompt = (queries: Float32Array) => {
    const scores = promptScores(queries, positive, negative, dim);
    return classes.map((c, k) =>
      rocAuc(
        test.map((_, i) => scores[i * classes.length + k]!),
        labels(c),
      ),
    );
  };
  const byCentroid = (trainRows: Float32Array, testRows: Float32Array) =>
    classes.map((c) => {
      const direction = new Float64Array(dim);
      const has = train.map((s) => c in s.truth);
      const [withCount, withoutCount] = [has.filter(Boolean).length, has.filter((h) => !h).length];
      has.forEach((h, i) => {
        for (let t = 0; t < dim; t++)
          direction[t]! += (h ? 1 / withCount : -1 / withoutCount) * trainRows[i * dim + t]!;
      });
      const project = (i: number) => direction.reduce((s, d, t) => s + d * testRows[i * dim + t]!, 0);
      return rocAuc(
        test.map((_, i) => project(i)),
        labels(c),
      );
    });
  const columns: [string, number[]][] = [
    ['images × prompts', byPrompt(es.images)],
    ['reports × prompts', byPrompt(es.texts)],
    ['images × centroid', byCentroid(et.images, es.images)],
    ['reports × centroid', byCentroid(et.texts, es.texts)],
    ['images × report centroid', byCentroid(et.texts, es.images)],
  ];
  const f3 = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(3));
  const macro = (xs: number[]) => {
    const defined = xs.filter((x) => !Number.isNaN(x));
    return defined.reduce((a, b) => a + b, 0) / defined.length;
  };
  const lines = [
    `# Zero-shot diagnosis of ${values.run} (step ${run.trainer.step}, ${test.length} test samples, centroids from ${train.length} training samples)`,
    '',
    `\`npx tsx scripts/zero-shot-diagnosis.ts --run ${values.run} --backend ${values.backend}\``,
    '',
    `| class | positives | ${columns.map(([name]) => name).join(' | ')} |`,
    `| --- | --- | ${columns.map(() => '---').join(' | ')} |`,
    ...classes.map(
      (c, k) =>
        `| ${c} | ${labels(c).filter(Boolean).length} | ${columns.map(([, aucs]) => f3(aucs[k]!)).join(' | ')} |`,
    ),
    `| **macro-AUC** | | ${columns.map(([, aucs]) => `**${f3(macro(aucs))}**`).join(' | ')} |`,
  ];
  const md = `${lines.join('\n')}\n`;
  console.log(md);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/zero-shot-diagnosis.md', md);
} finally {
  gpu.release();
}
