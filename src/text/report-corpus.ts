// Report text from the Open-i (Indiana University) collection as distributed: a .tgz of
// ecgen-radiology/N.xml files. Used to check the tokenizer on real reports and to build a domain
// vocabulary; nothing is copied from them.
import { readFileSync } from 'node:fs';
import { readTar } from '../io/tar.js';
import { openISections } from '../ober/openi.js';

/** Splits a section into sentences at a period, question or exclamation mark followed by whitespace. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.?!])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Every FINDINGS/IMPRESSION section of every report in an Open-i reports .tgz, in archive order. */
export function readReportSections(tgzPath: string): string[] {
  return readTar(readFileSync(tgzPath), tgzPath)
    .filter((e) => e.name.endsWith('.xml'))
    .flatMap((e) => openISections(e.data.toString('utf8')).map((s) => s.text));
}
