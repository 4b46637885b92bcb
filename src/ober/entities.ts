// The meta-entities of one sample, as OBER extracts them from a report and as the synthetic data
// generator records its ground truth: the positive (present, not negated, not merely hedged) disease
// classes, each with the canonical adjectival and directional descriptors attached to it.
// Everything downstream (score function, mining, fine-grained evaluation) reads only this shape.

/** Canonical descriptor values of one positive disease class, sorted, no duplicates. */
export interface DiseaseDescriptors {
  adjectives: string[];
  directions: string[];
}

/** Positive disease class name (ontology class name, e.g. "Pleural Effusion") → its descriptors. */
export type EntitySet = Record<string, DiseaseDescriptors>;
