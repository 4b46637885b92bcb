// report.html: one self-contained page (inline SVG charts, images as PNG data URIs, no external files).
// Every piece of text from the run (title, config, reports, class names) is escaped.
import { encode } from 'fast-png';
import type { EntitySet } from '../ober/entities.js';
import { chartSvg } from './chart.js';
import { escapeHtml } from './html-escape.js';
import { healthChart, lossChart, precisionChart } from './plots.js';
import { perClassTable, precisionTables, zeroShotTable, type Table } from './tables.js';
import type { GrayImage, ImageToTextExample, RunReportData, TextToImageExample } from './types.js';

const style = `
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 20px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.example { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 24px; }
figure { margin: 0; width: 140px; font-size: 11px; }
figure img { width: 128px; height: 128px; image-rendering: pixelated; border: 3px solid #ccc; }
.relevant img, li.relevant { border-color: #2a9d4b; }
.query { background: #f4f4f4; padding: 8px; }
.example li { margin-bottom: 6px; border-left: 4px solid #ccc; padding-left: 6px; list-style: none; }
pre { background: #f4f4f4; padding: 8px; overflow-x: auto; }`;

export function pngDataUri(image: GrayImage): string {
  if (image.data.length !== image.width * image.height)
    throw new Error(`report: image data has ${image.data.length} bytes, expected ${image.width}×${image.height}`);
  const png = encode({ width: image.width, height: image.height, data: image.data, channels: 1, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** "Pleural Effusion (small, left); Edema" — the classes with their descriptors. */
export function truthText(truth: EntitySet): string {
  return Object.entries(truth)
    .map(([cls, d]) =>
      d.adjectives.length + d.directions.length ? `${cls} (${[...d.adjectives, ...d.directions].join(', ')})` : cls,
    )
    .join('; ');
}

function htmlTable(t: Table): string {
  const row = (cells: string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<h3>${escapeHtml(t.title)}</h3>\n<table>\n${row(t.header, 'th')}\n${t.rows.map((r) => row(r, 'td')).join('\n')}\n</table>`;
}

const relevantClass = (relevant: boolean) => (relevant ? ' class="relevant"' : '');
const scoreText = (score: number, relevant: boolean) => `${score.toFixed(3)}${relevant ? ' ✓ relevant' : ''}`;

/** "2 of 5 share the query's findings": whether a query retrieved items of its own findings, at a glance. */
function relevantCount(results: readonly { relevant: boolean }[]): string {
  return `<b>${results.filter((r) => r.relevant).length} of ${results.length}</b> retrieved share the query's findings`;
}

function textToImageHtml(e: TextToImageExample): string {
  const figures = e.results.map(
    (r, i) =>
      `<figure${relevantClass(r.relevant)}><img src="${pngDataUri(r.image)}" alt="result ${i + 1}"><figcaption>#${i + 1} ${escapeHtml(scoreText(r.score, r.relevant))}<br>${escapeHtml(truthText(r.truth))}</figcaption></figure>`,
  );
  return `<div class="query"><b>Query report:</b> ${escapeHtml(e.query.report)}<br><b>Truth:</b> ${escapeHtml(truthText(e.query.truth))}<br>${relevantCount(e.results)}</div>\n<div class="example">${figures.join('\n')}</div>`;
}

function imageToTextHtml(e: ImageToTextExample): string {
  const items = e.results.map(
    (r, i) =>
      `<li${relevantClass(r.relevant)}>#${i + 1} ${escapeHtml(scoreText(r.score, r.relevant))} — <i>${escapeHtml(truthText(r.truth))}</i><br>${escapeHtml(r.report)}</li>`,
  );
  return `<div class="example"><figure><img src="${pngDataUri(e.query.image)}" alt="query image"><figcaption>Query image<br>${escapeHtml(truthText(e.query.truth))}<br>${relevantCount(e.results)}</figcaption></figure>\n<ol>${items.join('\n')}</ol></div>`;
}

function summaryHtml(data: RunReportData): string {
  const last = data.losses.at(-1);
  const rates = data.losses
    .map((p) => p.samplesPerSec)
    .filter((r): r is number => r !== undefined)
    .sort((a, b) => a - b);
  const facts = [
    ['adapter', data.adapter],
    ['steps logged', String(data.losses.length)],
    ['final loss', last ? `${last.loss.toFixed(4)} (step ${last.step})` : 'n/a'],
    ['median samples/s', rates.length ? rates[Math.floor(rates.length / 2)]!.toFixed(1) : 'n/a'],
  ];
  return `<ul>${facts.map(([k, v]) => `<li><b>${escapeHtml(k!)}:</b> ${escapeHtml(v!)}</li>`).join('')}</ul>`;
}

export function runReportHtml(data: RunReportData): string {
  const sections = [
    `<h1>${escapeHtml(data.title)}</h1>`,
    summaryHtml(data),
    '<h2>Training</h2>',
    chartSvg(lossChart(data)),
  ];
  const health = healthChart(data);
  if (health) sections.push(chartSvg(health));
  sections.push(
    '<h2>Retrieval</h2>',
    chartSvg(precisionChart(data.retrieval)),
    ...precisionTables(data.retrieval).map(htmlTable),
  );
  if (data.perClass) sections.push(htmlTable(perClassTable(data.perClass.direction, data.perClass.classes)));
  if (data.zeroShot) sections.push('<h2>Zero-shot classification</h2>', htmlTable(zeroShotTable(data.zeroShot)));
  const { textToImage = [], imageToText = [] } = data.examples ?? {};
  if (textToImage.length) sections.push('<h2>Examples: report → images</h2>', ...textToImage.map(textToImageHtml));
  if (imageToText.length) sections.push('<h2>Examples: image → reports</h2>', ...imageToText.map(imageToTextHtml));
  sections.push('<h2>Configuration</h2>', `<pre>${escapeHtml(JSON.stringify(data.config, null, 2))}</pre>`);
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(data.title)}</title>\n<style>${style}</style>\n</head>\n<body>\n${sections.join('\n')}\n</body>\n</html>\n`;
}
