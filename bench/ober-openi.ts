// OBER against expert labels on the Open-i development reports (../shared/data/iu-openi from the project
// root, or MEDTRIM_DATA=DIR), with two keyword baselines. Run: npx tsx bench/ober-openi.ts   (writes bench/results/ober-openi.md too)
//
// Labels: ChestX-ray14 columns of labels-dev.csv map to ontology classes (Effusion → Pleural Effusion,
// Pleural_Thickening → Pleural Thickening, normal → No Finding, the rest by name). A report counts as
// positive for a class when OBER labels it 1; uncertain (-1) counts as negative in the main table (the
// expert labels mark definite findings) and the macro-F1 with uncertain counted positive is shown too.
// The baselines use the same ontology vocabulary, so ontology growth (e.g. incidental classes that rule
// out No Finding) moves them too.
// Descriptors: each MeSH `major` tag "Head/qualifier/…" whose head OBER recognizes as a class (e.g.
// "Pulmonary Atelectasis" → Atelectasis) is compared with OBER's descriptors for that class in that
// report, over the qualifiers that have a canonical descriptor in our ontology; only (report, class)
// pairs found by both count, so this measures descriptor binding, not detection.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/ober/csv.js';
import { tokenize } from '../src/ober/lexicon.js';
import { parseOpenIXml, type OpenIReport } from '../src/ober/openi.js';
import { loadOntology } from '../src/ober/ontology.js';
import { recognize, type Label } from '../src/ober/recognize.js';
import { reportRanges } from '../src/ober/sections.js';
import { readTar } from '../src/io/tar.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const dataDir = process.env.MEDTRIM_DATA ?? join(benchDir, '..', '..', 'shared', 'data', 'iu-openi');
const columnToClass: Record<string, string> = {
  Effusion: 'Pleural Effusion',
  Pleural_Thickening: 'Pleural Thickening',
  normal: 'No Finding',
};
const minPositives = 30;

// MeSH qualifier → canonical descriptor of our ontology (MeSH's own vocabulary, not report text).
const meshQualifiers: Record<string, string> = {
  left: 'left',
  right: 'right',
  bilateral: 'bilateral',
  mild: 'mild',
  moderate: 'moderate',
  severe: 'severe',
  small: 'small',
  large: 'large',
  base: 'basilar',
  'upper lobe': 'upper',
  'lower lobe': 'lower',
  'middle lobe': 'middle',
  apex: 'apical',
  hilum: 'perihilar',
  lingula: 'lingula',
  retrocardiac: 'retrocardiac',
  patchy: 'patchy',
  streaky: 'streaky',
  focal: 'focal',
  diffuse: 'diffuse',
  scattered: 'multifocal',
  multiple: 'multifocal',
  round: 'nodular',
  chronic: 'chronic',
  interstitial: 'reticular',
  posterior: 'posterior',
  anterior: 'anterior',
  lateral: 'lateral',
  calcified: 'calcified',
};

type Predictor = (r: OpenIReport) => Record<string, Label>;

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  positives: number;
}

function f1(c: Counts): { p: number; r: number; f: number } {
  const p = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const r = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  return { p, r, f: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
}

function sentencesOf(text: string): string[] {
  return reportRanges(text).flatMap(([a, b]) =>
    text
      .slice(a, b)
      .toLowerCase()
      .split(/[.;!?\n]+/),
  );
}

/** Keyword baselines: any term of the class in a sentence → positive; with `negex`, unless "no"/"without" precedes it. */
function keywordPredictor(negex: boolean): Predictor {
  const classes = loadOntology().classes.filter((c) => c.name !== 'No Finding');
  const devices = new Set(classes.filter((c) => c.role === 'device').map((c) => c.name));
  return (r) => {
    const labels: Record<string, Label> = {};
    for (const sentence of sentencesOf(r.text)) {
      const words = ` ${tokenize(sentence)
        .map((t) => t.text)
        .join(' ')} `;
      for (const c of classes) {
        for (const term of c.terms) {
          const at = words.indexOf(
            ` ${tokenize(term)
              .map((t) => t.text)
              .join(' ')} `,
          );
          if (at < 0) continue;
          const negated = negex && /\b(no|without)\b/.test(words.slice(0, at));
          if (!negated) labels[c.name] = 1;
        }
      }
    }
    if (!Object.keys(labels).some((k) => !devices.has(k))) labels['No Finding'] = 1;
    return labels;
  };
}

function evaluate(
  reports: OpenIReport[],
  gold: Map<string, Record<string, number>>,
  classOf: Record<string, string>,
  predict: Predictor,
  uncertainPositive: boolean,
): Map<string, Counts> {
  const counts = new Map<string, Counts>(
    Object.keys(classOf).map((col) => [col, { tp: 0, fp: 0, fn: 0, positives: 0 }]),
  );
  for (const r of reports) {
    const g = gold.get(r.id);
    if (!g) continue;
    const labels = predict(r);
    for (const [col, cls] of Object.entries(classOf)) {
      const c = counts.get(col)!;
      const predicted = labels[cls] === 1 || (uncertainPositive && labels[cls] === -1);
      const actual = g[col] === 1;
      if (actual) c.positives++;
      if (predicted && actual) c.tp++;
      else if (predicted) c.fp++;
      else if (actual) c.fn++;
    }
  }
  return counts;
}

function macroF1(counts: Map<string, Counts>): number {
  const big = [...counts.values()].filter((c) => c.positives >= minPositives);
  return big.reduce((s, c) => s + f1(c).f, 0) / big.length;
}

function descriptorScores(reports: OpenIReport[]): { p: number; r: number; pairs: number } {
  let tp = 0,
    fp = 0,
    fn = 0,
    pairs = 0;
  for (const rep of reports) {
    const entities = recognize(rep.text).entities;
    for (const tag of rep.mesh) {
      const [head, ...quals] = tag.split('/').map((s) => s.trim().toLowerCase());
      const classes = Object.keys(recognize(head).entities).filter((c) => c !== 'No Finding' && c in entities);
      const expected = new Set(quals.map((q) => meshQualifiers[q]).filter(Boolean));
      for (const cls of classes) {
        pairs++;
        const ours = new Set(
          [...entities[cls].adjectives, ...entities[cls].directions].filter((d) =>
            Object.values(meshQualifiers).includes(d),
          ),
        );
        for (const d of ours)
          if (expected.has(d)) tp++;
          else fp++;
        for (const d of expected) if (!ours.has(d)) fn++;
      }
    }
  }
  return { p: tp / (tp + fp), r: tp / (tp + fn), pairs };
}

function loadData(): { reports: OpenIReport[]; gold: Map<string, Record<string, number>>; columns: string[] } {
  const reports = readTar(readFileSync(join(dataDir, 'reports-dev.tgz')), 'reports-dev.tgz')
    .filter((e) => e.name.endsWith('.xml'))
    .map((e) => parseOpenIXml(e.data.toString('utf8')))
    .filter((r) => r.text.trim() !== '');
  const [header, ...rows] = parseCsv(readFileSync(join(dataDir, 'labels-dev.csv'), 'utf8')).rows;
  const columns = header.fields.slice(1);
  const gold = new Map(
    rows.map((r) => [r.fields[0], Object.fromEntries(columns.map((c, i) => [c, Number(r.fields[i + 1])]))]),
  );
  return { reports, gold, columns };
}

function main(): void {
  if (!existsSync(join(dataDir, 'reports-dev.tgz')) || !existsSync(join(dataDir, 'labels-dev.csv'))) {
    console.log(`ober-openi: skipped, Open-i data not found in ${dataDir} (set MEDTRIM_DATA)`);
    return;
  }
  const { reports, gold, columns } = loadData();
  const classOf = Object.fromEntries(columns.map((c) => [c, columnToClass[c] ?? c]));
  const ober: Predictor = (r) => recognize(r.text).labels;
  const runs = {
    ober: evaluate(reports, gold, classOf, ober, false),
    keyword: evaluate(reports, gold, classOf, keywordPredictor(false), false),
    negex: evaluate(reports, gold, classOf, keywordPredictor(true), false),
  };
  const oberUncertainPositive = macroF1(evaluate(reports, gold, classOf, ober, true));
  const fmt = (x: number) => x.toFixed(3);
  const evaluated = reports.filter((r) => gold.has(r.id)).length;
  const lines = [
    `# OBER on Open-i dev (${evaluated} labelled reports with FINDINGS/IMPRESSION text)`,
    '',
    'Uncertain (-1) counts as negative. Classes marked * have ≥ 30 positives and enter the macro-F1.',
    '',
    '| class | positives | OBER P | OBER R | OBER F1 | keyword F1 | keyword+negation F1 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const col of columns) {
    const o = runs.ober.get(col)!;
    const s = f1(o);
    const mark = o.positives >= minPositives ? ' *' : '';
    lines.push(
      `| ${col} → ${classOf[col]}${mark} | ${o.positives} | ${fmt(s.p)} | ${fmt(s.r)} | ${fmt(s.f)} | ${fmt(f1(runs.keyword.get(col)!).f)} | ${fmt(f1(runs.negex.get(col)!).f)} |`,
    );
  }
  lines.push(
    `| **macro-F1 (≥ ${minPositives} positives)** | | | | **${fmt(macroF1(runs.ober))}** | ${fmt(macroF1(runs.keyword))} | ${fmt(macroF1(runs.negex))} |`,
  );
  lines.push('', `OBER macro-F1 with uncertain counted positive: ${fmt(oberUncertainPositive)}`);
  const d = descriptorScores(reports.filter((r) => gold.has(r.id)));
  lines.push(
    '',
    `Descriptors vs MeSH major qualifiers (${d.pairs} report/class pairs found by both): precision ${fmt(d.p)}, recall ${fmt(d.r)}`,
  );
  const md = lines.join('\n') + '\n';
  process.stdout.write(md);
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'ober-openi.md'), md);
}

main();
