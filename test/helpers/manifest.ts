// Small real-format data sets for tests: PNG files of the synthetic generator's samples and a JSONL
// manifest naming them, written to a fresh temporary folder.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { createSyntheticDataset, toUint8 } from '../../src/data/synthetic/dataset.js';

export interface ManifestRow {
  id: string;
  image: string;
  report: string;
  split?: string;
  patient?: string;
}

/** `count` generated samples as images/N.png and manifest.jsonl; `row` may rewrite each row (split, patient…). */
export function writeManifest(
  count: number,
  {
    size = 32,
    seed = 3,
    row = (r: ManifestRow) => r,
  }: { size?: number; seed?: number; row?: (r: ManifestRow, i: number) => ManifestRow } = {},
): { root: string; manifest: string; rows: ManifestRow[] } {
  const root = mkdtempSync(join(tmpdir(), 'medtrim-manifest-'));
  mkdirSync(join(root, 'images'));
  const ds = createSyntheticDataset({ seed, size, count });
  const rows = Array.from({ length: count }, (_, i) => {
    const s = ds.sample(i);
    const image = `images/${i}.png`;
    writeFileSync(
      join(root, image),
      encode({ width: size, height: size, data: toUint8(s.image), channels: 1, depth: 8 }),
    );
    return row({ id: s.id, image, report: s.report, split: s.split }, i);
  });
  const manifest = join(root, 'manifest.jsonl');
  writeFileSync(manifest, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { root, manifest, rows };
}
