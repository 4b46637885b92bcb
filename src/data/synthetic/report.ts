// Report grammar: FINDINGS and IMPRESSION sections for a synthetic case. Class names, adjectives and
// directions are written with surface forms taken from the OBER ontology (so synonyms and word
// forms vary as in real reports), each phrase states exactly the finding's canonical descriptors,
// absent findings are sometimes negated and some absent ones hedged ("cannot exclude …").
import { loadOntology } from '../../ober/ontology.js';
import type { Rng } from '../../util/rng.js';
import type { Side } from './anatomy.js';
import type { Finding } from './findings.js';

export interface ReportResult {
  text: string;
  /** Classes explicitly negated in the report. */
  negated: string[];
  /** Classes mentioned only as uncertain (hedged). */
  uncertain: string[];
}

/** Natural surface forms we write; each must exist in the ontology, so vocabulary drift fails loudly. */
const adjectiveForms: Record<string, { adj: string[]; adv: string[] }> = {
  minimal: { adj: ['minimal', 'trace', 'slight'], adv: ['minimally', 'slightly'] },
  mild: { adj: ['mild'], adv: ['mildly'] },
  moderate: { adj: ['moderate', 'moderate-sized'], adv: ['moderately'] },
  severe: { adj: ['severe', 'marked', 'extensive'], adv: ['severely', 'markedly'] },
  small: { adj: ['small', 'small-sized'], adv: [] },
  large: { adj: ['large', 'large-sized'], adv: [] },
  patchy: { adj: ['patchy'], adv: [] },
  focal: { adj: ['focal', 'localized'], adv: [] },
  hazy: { adj: ['hazy', 'ill-defined'], adv: [] },
  linear: { adj: ['linear', 'plate-like', 'bandlike'], adv: [] },
  streaky: { adj: ['streaky'], adv: [] },
  acute: { adj: ['acute'], adv: [] },
  chronic: { adj: ['healed', 'old', 'chronic'], adv: [] },
};

const classForms: Record<string, string[]> = {
  'Pleural Effusion': ['pleural effusion', 'effusion'],
  Cardiomegaly: ['cardiomegaly', 'enlargement of the cardiac silhouette', 'cardiac enlargement'],
  'Enlarged Cardiomediastinum': ['widening of the mediastinum', 'mediastinal widening'],
  Pneumothorax: ['pneumothorax'],
  Consolidation: ['consolidation', 'airspace consolidation'],
  Pneumonia: ['pneumonia', 'bronchopneumonia'],
  'Lung Opacity': ['opacity', 'airspace opacity', 'opacification'],
  Atelectasis: ['atelectasis'],
  Edema: ['pulmonary edema', 'edema'],
  Nodule: ['nodule', 'pulmonary nodule'],
  Mass: ['mass', 'lung mass'],
  'Pleural Thickening': ['pleural thickening'],
  Fracture: ['rib fracture', 'fracture'],
  'Support Devices': ['central venous catheter'],
};

let checked = false;
function checkAgainstOntology(): void {
  if (checked) return;
  const o = loadOntology();
  const classTerms = new Map(o.classes.map((c) => [c.name, new Set(c.terms)]));
  for (const [cls, forms] of Object.entries(classForms)) {
    for (const form of forms)
      if (!classTerms.get(cls)?.has(form))
        throw new Error(`report grammar: '${form}' is not an ontology term of ${cls}`);
  }
  for (const [canonical, forms] of Object.entries(adjectiveForms)) {
    const terms = new Set(o.adjectives[canonical]?.terms ?? []);
    for (const form of [...forms.adj, ...forms.adv])
      if (!terms.has(form))
        throw new Error(`report grammar: '${form}' is not an ontology form of adjective ${canonical}`);
  }
  checked = true;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function words(...parts: (string | null | undefined | false)[]): string {
  return parts.filter((p) => p).join(' ');
}

/** One writer of the phrases of a report; all choices come from its random stream. */
class Writer {
  constructor(private readonly rng: Rng) {}

  adj(canonical: string | null): string | null {
    return canonical ? this.rng.pick(adjectiveForms[canonical].adj) : null;
  }

  adv(canonical: string): string {
    return this.rng.pick(adjectiveForms[canonical].adv);
  }

  term(cls: string, plural = false): string {
    const t = this.rng.pick(classForms[cls]);
    return plural && (t.endsWith('effusion') || t.endsWith('fracture')) ? t + 's' : t;
  }

  side(sides: Side[]): string | null {
    if (sides.length === 2) return 'bilateral';
    if (sides.length === 0) return null;
    return this.rng.chance(0.8) ? sides[0] : `${sides[0]}-sided`;
  }

  /** A lobar location: "in the right lower lobe", "right lower lobe", "in the lingula". */
  lobe(f: Finding): { prefix: string; suffix: string } {
    if (f.zone === 'lingula') return { prefix: 'lingular', suffix: 'in the lingula' };
    const lobe = `${f.sides[0]} ${f.zone} lobe`;
    return { prefix: lobe, suffix: `in the ${lobe}` };
  }

  /** A basal or apical location: "at the left base", "bibasilar", "right apical". */
  region(f: Finding): string {
    const both = f.sides.length === 2;
    if (f.zone === 'basilar')
      return both
        ? this.rng.pick(['bibasilar', 'at both lung bases'])
        : this.rng.pick([`at the ${f.sides[0]} base`, `${f.sides[0]} basilar`]);
    return both ? 'biapical' : this.rng.pick([`${f.sides[0]} apical`, `at the ${f.sides[0]} apex`]);
  }
}

/** A located phrase: pre-noun forms go before the term, "at the …" forms after it. */
function placed(adjective: string | null, location: string, term: string): string {
  return location.startsWith('at ') || location.startsWith('in ')
    ? words(adjective, term, location)
    : words(adjective, location, term);
}

type Phrase = (w: Writer, f: Finding, rng: Rng) => string;

const phrases: Record<string, Phrase> = {
  'Pleural Effusion': (w, f, rng) => {
    const both = f.sides.length === 2;
    const np = words(w.adj(f.grade), w.side(f.sides), w.term(f.cls, both));
    return rng.pick([both ? `there are ${np}` : `there is a ${np}`, np]);
  },
  Cardiomegaly: (w, f, rng) =>
    rng.chance(0.4)
      ? `the heart is ${w.adv(f.grade!)} enlarged`
      : words(rng.chance(0.5) && 'there is', w.adj(f.grade), w.term(f.cls)),
  'Enlarged Cardiomediastinum': (w, f) => words(w.adj(f.grade), w.term(f.cls)),
  Pneumothorax: (w, f, rng) =>
    words(
      rng.chance(0.4) && 'there is a',
      w.adj(f.grade),
      w.side(f.sides),
      f.zone === 'apical' && 'apical',
      w.term(f.cls),
    ),
  Consolidation: (w, f, rng) => lobar(w, f, rng),
  Pneumonia: (w, f, rng) => lobar(w, f, rng),
  'Lung Opacity': (w, f, rng) => lobar(w, f, rng),
  Nodule: (w, f, rng) => lobar(w, f, rng),
  Mass: (w, f, rng) => lobar(w, f, rng),
  Atelectasis: (w, f) => placed(words(w.adj(f.grade), w.adj(f.kind)), w.region(f), w.term(f.cls)),
  'Pleural Thickening': (w, f) => placed(null, w.region(f), w.term(f.cls)),
  Edema: (w, f, rng) => {
    if (f.zone === 'perihilar')
      return rng.pick([
        words(w.adj(f.grade), 'bilateral perihilar edema'),
        words(w.adj(f.grade), 'bihilar', w.term(f.cls)),
      ]);
    return words(rng.chance(0.4) && 'there is', w.adj(f.grade), w.term(f.cls));
  },
  Fracture: (w, f, rng) => {
    const ordinal = rng.pick(['fifth', 'sixth', 'seventh', 'eighth']);
    return rng.chance(0.5)
      ? words(w.adj(f.kind), 'fracture of the', f.sides[0], ordinal, 'rib')
      : words(w.adj(f.kind), w.side(f.sides), 'rib fracture');
  },
  'Support Devices': (w, f) =>
    `${f.sides[0]} jugular ${w.term(f.cls)} with its tip at the cavoatrial junction. Endotracheal tube tip 4 cm above the carina`,
};

function lobar(w: Writer, f: Finding, rng: Rng): string {
  const loc = w.lobe(f);
  const adjective = words(w.adj(f.grade), w.adj(f.kind));
  return rng.chance(0.5) ? words(adjective, w.term(f.cls), loc.suffix) : words(adjective, loc.prefix, w.term(f.cls));
}

/** Statements of normality, each negating a class, usable when that class (and its relatives) is absent. */
const normalStatements: { cls: string; needsAbsent: string[]; forms: string[] }[] = [
  {
    cls: 'Cardiomegaly',
    needsAbsent: ['Cardiomegaly'],
    forms: [
      'heart size is normal',
      'the cardiac silhouette is within normal limits',
      'heart size is within normal limits',
    ],
  },
  {
    cls: 'Enlarged Cardiomediastinum',
    needsAbsent: ['Enlarged Cardiomediastinum', 'Cardiomegaly'],
    forms: ['the mediastinal contour is normal', 'the cardiomediastinal silhouette is unremarkable'],
  },
  {
    cls: 'Lung Opacity',
    needsAbsent: ['Lung Opacity', 'Consolidation', 'Pneumonia', 'Edema', 'Atelectasis', 'Nodule', 'Mass'],
    forms: ['the lungs are clear', 'lungs are clear'],
  },
  {
    cls: 'Pleural Effusion',
    needsAbsent: ['Pleural Effusion'],
    forms: ['no pleural effusion', 'there is no pleural effusion', 'the costophrenic angles are sharp'],
  },
  {
    cls: 'Pneumothorax',
    needsAbsent: ['Pneumothorax'],
    forms: ['no pneumothorax', 'there is no pneumothorax', 'no evidence of pneumothorax'],
  },
  {
    cls: 'Consolidation',
    needsAbsent: ['Consolidation', 'Pneumonia'],
    forms: ['no focal consolidation', 'there is no consolidation'],
  },
  { cls: 'Edema', needsAbsent: ['Edema'], forms: ['no pulmonary edema', 'no evidence of pulmonary edema'] },
  { cls: 'Pneumonia', needsAbsent: ['Pneumonia', 'Consolidation'], forms: ['no evidence of pneumonia'] },
  { cls: 'Fracture', needsAbsent: ['Fracture'], forms: ['no displaced rib fractures', 'no acute fracture'] },
];

const hedgeable = ['Pneumonia', 'Pleural Effusion', 'Pneumothorax', 'Atelectasis', 'Edema', 'Fracture'];
const hedgeForms = [
  'cannot exclude early {t}',
  '{t} cannot be excluded',
  'possible {t}',
  'findings may represent early {t}',
];
const normalImpressions = [
  'no acute cardiopulmonary abnormality',
  'no acute cardiopulmonary disease',
  'no active disease',
  'normal chest',
];

function sentence(s: string): string {
  return capitalise(s) + '.';
}

/** Writes the report of a case; `hedgeRate` is the chance that one absent finding is hedged. */
export function writeReport(findings: Finding[], rng: Rng, hedgeRate = 0.15): ReportResult {
  checkAgainstOntology();
  const w = new Writer(rng);
  const present = new Set(findings.map((f) => f.cls));
  const positives = findings.map((f) => sentence(phrases[f.cls](w, f, rng)));

  const negated: string[] = [];
  const normals: string[] = [];
  for (const st of rng.shuffle([...normalStatements])) {
    if (st.needsAbsent.some((c) => present.has(c)) || !rng.chance(findings.length === 0 ? 0.7 : 0.45)) continue;
    normals.push(sentence(rng.pick(st.forms)));
    negated.push(st.cls);
  }

  const uncertain: string[] = [];
  const hedges: string[] = [];
  const hedgeCandidates = hedgeable.filter((c) => !present.has(c) && !negated.includes(c));
  if (hedgeCandidates.length > 0 && rng.chance(hedgeRate)) {
    const cls = rng.pick(hedgeCandidates);
    hedges.push(sentence(rng.pick(hedgeForms).replace('{t}', w.term(cls))));
    uncertain.push(cls);
  }

  const findingsText = rng.shuffle([...positives, ...normals]).join(' ');
  const impressionParts =
    findings.length === 0
      ? [sentence(rng.pick(normalImpressions))]
      : findings.map((f) => sentence(phrases[f.cls](w, f, rng)));
  impressionParts.push(...hedges);
  const impression =
    rng.chance(0.5) && impressionParts.length > 1
      ? impressionParts.map((s, i) => `${i + 1}. ${s}`).join('\n')
      : impressionParts.join(' ');
  const findingsSection = findingsText || sentence(rng.pick(['the lungs are clear', 'lungs are clear']));
  if (!findingsText) negated.push('Lung Opacity');
  const text = rng.chance(0.5)
    ? `FINDINGS: ${findingsSection}\n\nIMPRESSION: ${impression}`
    : `FINDINGS:\n${findingsSection}\n\nIMPRESSION:\n${impression}`;
  return { text, negated: [...new Set(negated)].sort(), uncertain: uncertain.sort() };
}
