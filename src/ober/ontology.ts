// The OBER ontology: disease classes, descriptors and negation/uncertainty cues, kept as JSON data
// under ontology/ so that vocabulary can grow without touching code. Everything here is lower-case.
// Node reads the files from disk; the browser bundle embeds them (src/web/node/build-web.ts, `medtrim:ontology`)
// and hands them over with setOntologySources before the first loadOntology().
import { nodeBuiltin } from '../io/node-builtin.js';

export interface DiseaseClass {
  name: string;
  /** A finer class (Nodule) names its CheXpert parent (Lung Lesion); null for top-level classes. */
  parent: string | null;
  /** Lower-case surface forms including word forms; terms[0] is the preferred form. */
  terms: string[];
  /**
   * Absent for a CheXpert pathology. 'device': a support device, which never rules out No Finding (as in
   * CheXpert). 'incidental': a common finding outside CheXpert (degenerative spine, tortuous aorta…), no
   * pathology for CheXpert but one that rules out No Finding, as it rules out an expert's "normal".
   */
  role?: ClassRole;
}

export type ClassRole = 'device' | 'incidental';
const classRoles = new Set<string>(['device', 'incidental']);

export type AdjectiveGroup = 'severity' | 'size' | 'extent' | 'shape' | 'chronicity';

/** Words that make a statement about an anatomical structure a mention of a class ("heart size is normal"). */
export interface AnatomyRule {
  class: string;
  terms: string[];
  /** Normality words: the class is mentioned negatively. */
  normal: string[];
  /** Abnormality words: the class is mentioned positively. */
  abnormal: string[];
}

export interface CueLists {
  /** Cues that govern the findings after them (up to the clause end). */
  pre: string[];
  /** Cues that govern the findings before them (back to the clause start). */
  post: string[];
}

export interface Ontology {
  classes: DiseaseClass[];
  /** Canonical adjective → its group and surface forms. */
  adjectives: Record<string, { group: AdjectiveGroup; terms: string[] }>;
  /** Canonical direction → surface forms. */
  directions: Record<string, { terms: string[] }>;
  /** Surface forms standing for several canonical directions at once ("bibasilar" → bilateral, basilar). */
  expansions: Record<string, string[]>;
  negation: CueLists;
  uncertainty: CueLists;
  /** Phrases that contain a negation word but negate nothing ("no change in"). */
  pseudoNegation: string[];
  /** Words that end a cue's scope inside a sentence ("but", "however", "which"). */
  clauseBoundaries: string[];
  /** Phrases that look like findings but name nothing of ours ("pericardial effusion"); matched to be skipped. */
  ignoredPhrases: string[];
  anatomy: AnatomyRule[];
  /** Words of a sentence that only names an exam ("Left knee.", "Chest:") in a report covering several. */
  examHeaders: { chest: string[]; other: string[]; fillers: string[] };
}

const adjectiveGroups = new Set<string>(['severity', 'size', 'extent', 'shape', 'chronicity']);

export const ONTOLOGY_FILES = ['classes.json', 'descriptors.json', 'cues.json'] as const;
export type OntologyFile = (typeof ONTOLOGY_FILES)[number];

let embedded: Record<OntologyFile, string> | null = null;
let cached: Ontology | undefined;

/** Makes loadOntology parse these texts ({ 'classes.json': JSON text, … }) instead of reading ontology/. */
export function setOntologySources(sources: Record<OntologyFile, string>): void {
  embedded = sources;
  cached = undefined;
}

function readJson(file: OntologyFile): Record<string, unknown> {
  const url = new URL(`../../ontology/${file}`, import.meta.url);
  const where = embedded ? `embedded ${file}` : url.pathname;
  try {
    const text = embedded
      ? embedded[file]
      : nodeBuiltin<typeof import('node:fs')>('node:fs', 'reading the ontology').readFileSync(url, 'utf8');
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`ontology: cannot read ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isStringList(v: unknown): v is string[] {
  return (
    Array.isArray(v) && v.every((s) => typeof s === 'string' && s === s.toLowerCase() && s.trim() === s && s !== '')
  );
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`ontology: ${what}`);
}

function validate(o: Ontology): void {
  const names = new Set(o.classes.map((c) => c.name));
  check(names.size === o.classes.length, 'duplicate class names in classes.json');
  for (const c of o.classes) {
    check(isStringList(c.terms) && c.terms.length > 0, `class ${c.name}: terms must be non-empty lower-case strings`);
    check(c.parent === null || names.has(c.parent), `class ${c.name}: unknown parent ${c.parent}`);
    check(c.role === undefined || classRoles.has(c.role), `class ${c.name}: unknown role ${c.role}`);
  }
  for (const [value, a] of Object.entries(o.adjectives)) {
    check(adjectiveGroups.has(a.group), `adjective ${value}: unknown group ${a.group}`);
    check(isStringList(a.terms), `adjective ${value}: terms must be lower-case strings`);
  }
  for (const [value, d] of Object.entries(o.directions)) check(isStringList(d.terms), `direction ${value}: bad terms`);
  for (const [term, values] of Object.entries(o.expansions)) {
    check(
      values.every((v) => v in o.directions),
      `expansion ${term}: unknown direction in ${values.join(', ')}`,
    );
  }
  for (const list of [
    o.negation.pre,
    o.negation.post,
    o.uncertainty.pre,
    o.uncertainty.post,
    o.pseudoNegation,
    o.clauseBoundaries,
    o.ignoredPhrases,
  ]) {
    check(isStringList(list), 'cues.json: cue lists must be lower-case strings');
  }
  for (const a of o.anatomy) check(names.has(a.class), `anatomy rule: unknown class ${a.class}`);
  const e = o.examHeaders;
  check(
    typeof e === 'object' && e !== null && [e.chest, e.other, e.fillers].every(isStringList),
    'cues.json: examHeaders needs chest, other and fillers word lists',
  );
}

/** Reads ontology/*.json (relative to this source file), validates it and caches the result. */
export function loadOntology(): Ontology {
  if (cached) return cached;
  const classes = readJson('classes.json');
  const descriptors = readJson('descriptors.json');
  const cues = readJson('cues.json');
  const ontology = {
    classes: classes.classes,
    adjectives: descriptors.adjectives,
    directions: descriptors.directions,
    expansions: descriptors.expansions,
    negation: cues.negation,
    uncertainty: cues.uncertainty,
    pseudoNegation: cues.pseudoNegation,
    clauseBoundaries: cues.clauseBoundaries,
    ignoredPhrases: cues.ignoredPhrases,
    anatomy: cues.anatomy,
    examHeaders: cues.examHeaders,
  } as Ontology;
  validate(ontology);
  cached = ontology;
  return ontology;
}
