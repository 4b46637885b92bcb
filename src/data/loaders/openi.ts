// Open-i (Indiana University chest X-rays): a folder of report XML files and a folder of PNG images
// named by the XML's <parentImage id="CXR1_1_IM-0001-3001"> (one report, usually two views).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openISections, parseOpenIXml } from '../../ober/openi.js';
import { type ImageReportRecord, type LoadResult, type LoaderOptions, SkipLog, errorMessage } from './records.js';

export interface OpenIOptions extends LoaderOptions {
  /** Report sections to keep, in order (default FINDINGS and IMPRESSION; Open-i has no others). */
  sections?: readonly string[];
}

export function loadOpenI(reportDir: string, imageDir: string, options: OpenIOptions = {}): LoadResult {
  for (const dir of [reportDir, imageDir]) if (!existsSync(dir)) throw new Error(`${dir}: folder not found`);
  const log = new SkipLog(options.warn, options.strict);
  const records: ImageReportRecord[] = [];
  for (const file of readdirSync(reportDir)
    .filter((f) => f.toLowerCase().endsWith('.xml'))
    .sort()) {
    const path = join(reportDir, file);
    let xml: string;
    let parsed: ReturnType<typeof parseOpenIXml>;
    try {
      xml = readFileSync(path, 'utf8');
      parsed = parseOpenIXml(xml);
    } catch (err) {
      log.add(path, errorMessage(err));
      continue;
    }
    const labels = options.sections ?? ['FINDINGS', 'IMPRESSION'];
    const byLabel = new Map(openISections(xml).map((s) => [s.label as string, s.text]));
    const text = labels.flatMap((label) => (byLabel.has(label) ? [`${label}: ${byLabel.get(label)}`] : [])).join('\n');
    if (!text) {
      log.add(path, `report has no ${labels.join(' or ')} text`);
      continue;
    }
    const imageIds = [...xml.matchAll(/<parentImage\s+id="([^"]+)"/g)].map((m) => m[1]);
    if (imageIds.length === 0) log.add(path, 'report names no <parentImage>');
    for (const imageId of imageIds) {
      const imagePath = join(imageDir, `${imageId}.png`);
      if (!existsSync(imagePath)) {
        log.add(imagePath, `image of ${parsed.id} missing`);
        continue;
      }
      // Open-i has one report per patient visit and no patient ids: the report's uId stands for the patient.
      records.push({
        id: `${parsed.id}/${imageId}`,
        imagePath,
        report: text,
        patientId: parsed.id,
        studyId: parsed.id,
      });
    }
  }
  return { records, skipped: log.skipped };
}
