import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/ober/csv.js';
import { loadOntology } from '../src/ober/ontology.js';
import { recognize } from '../src/ober/recognize.js';
import { describeWithSharedData, sharedData } from './helpers/shared-data.js';

interface HardCase {
  name: string;
  text: string;
  labels: Record<string, number>;
  entities?: Record<string, { adjectives: string[]; directions: string[] }>;
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/ober/hard-cases.json', import.meta.url), 'utf8')) as {
  cases: HardCase[];
};

describe('OBER hard cases (hand-written fixture)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = recognize(c.text);
      expect(r.labels).toEqual(c.labels);
      for (const [cls, d] of Object.entries(c.entities ?? {})) expect(r.entities[cls]).toEqual(d);
    });
  }
});

describe('OBER findings', () => {
  it('reports spans into the original text and the negation of each finding', () => {
    const text = 'Mild cardiomegaly. No pneumothorax.';
    const { findings } = recognize(text);
    expect(findings.map((f) => [f.disease, f.text, f.negated, f.uncertain])).toEqual([
      ['Cardiomegaly', 'cardiomegaly', false, false],
      ['Pneumothorax', 'pneumothorax', true, false],
    ]);
    for (const f of findings) expect(text.slice(f.span[0], f.span[1])).toBe(f.text);
    expect(findings[0].adjectives).toEqual(['mild']);
  });

  it('puts No Finding in the entities with no descriptors when nothing is found', () => {
    expect(recognize('Normal chest.').entities).toEqual({ 'No Finding': { adjectives: [], directions: [] } });
  });

  it('loads an ontology whose classes fit a u32 mask and whose parents exist', () => {
    const o = loadOntology();
    expect(o.classes.length).toBeLessThanOrEqual(32);
    expect(o.classes.find((c) => c.name === 'Mass')?.parent).toBe('Lung Lesion');
    expect(o.classes.find((c) => c.name === 'Pleural Thickening')?.parent).toBe('Pleural Other');
    expect(o.expansions.bibasilar).toEqual(['bilateral', 'basilar']);
  });
});

const chexpertDir = sharedData('chexpert-labeler-samples');
describeWithSharedData('CheXpert labeler samples', chexpertDir, () => {
  // CheXpert leaves a class blank when the report does not mention it; our ontology also reads
  // normality statements ("clear lungs" → Lung Opacity 0), so a blank expects "absent or 0".
  it("gives the labeler's expected labels for its four sample reports", () => {
    const [header, ...rows] = parseCsv(readFileSync(`${chexpertDir}/labeled_reports.csv`, 'utf8')).rows;
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const { labels } = recognize(row.fields[0]);
      header.fields.slice(1).forEach((cls, i) => {
        const expected = row.fields[i + 1];
        if (expected === '') expect([undefined, 0], `${cls} in "${row.fields[0]}"`).toContain(labels[cls]);
        else expect(labels[cls], `${cls} in "${row.fields[0]}"`).toBe(Number(expected));
      });
    }
  });
});
