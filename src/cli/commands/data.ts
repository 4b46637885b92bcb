// `medtrim data`: look at and export the built-in synthetic chest X-ray data set.
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import { contactSheet } from '../../data/contactSheet.js';
import { createSyntheticDataset, toUint8 } from '../../data/synthetic/dataset.js';
import type { Command } from '../command.js';
import { UsageError } from './shared.js';

const help = `usage: medtrim data preview  --out DIR [--seed S] [--size PX] [--count N]
       medtrim data generate --out DIR --count N [--seed S] [--size PX]

Synthetic frontal chest radiographs with paired reports and ground truth (patient's left is on the
image's right, as on a real film).

  preview   writes DIR/contact-sheet.png (images beside their truth and reports) and DIR/sample-I.png
            (default: 6 samples of 64 px)
  generate  writes DIR/images/I.png, DIR/manifest.jsonl (id, split, image, report, truth, negated,
            uncertain) and DIR/manifest.csv (image, report, split: readable by the CSV loader)

options:
  --out DIR    output folder (created)
  --seed S     integer seed (default 0)
  --size PX    image side, 32 to 224 (default 64)
  --count N    number of samples
  --help       show this help`;

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return Number(value);
}

function pngBytes(width: number, height: number, data: Uint8Array): Uint8Array {
  return encode({ width, height, data, channels: 1, depth: 8 });
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      count: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const action = positionals[0];
  if (values.help || !action) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  if (action !== 'preview' && action !== 'generate')
    throw new UsageError(`unknown action '${action}' (use preview or generate)`);
  if (!values.out) throw new UsageError('--out DIR is required');
  if (action === 'generate' && values.count === undefined) throw new UsageError('generate needs --count N');
  const count = intOption(values.count, 'count', 6);
  if (count < 1) throw new UsageError(`--count must be at least 1, got ${count}`);
  const ds = createSyntheticDataset({
    seed: intOption(values.seed, 'seed', 0),
    size: intOption(values.size, 'size', 64),
    count,
  });
  mkdirSync(values.out, { recursive: true });
  return action === 'preview' ? preview(ds, values.out) : generate(ds, values.out);
}

function preview(ds: ReturnType<typeof createSyntheticDataset>, out: string): number {
  const samples = Array.from({ length: ds.count }, (_, i) => ds.sample(i));
  for (const s of samples)
    writeFileSync(join(out, `sample-${s.index}.png`), pngBytes(s.size, s.size, toUint8(s.image)));
  const sheet = contactSheet(samples);
  const path = join(out, 'contact-sheet.png');
  writeFileSync(path, pngBytes(sheet.width, sheet.height, sheet.data));
  console.log(`wrote ${path} (${sheet.width}x${sheet.height}) and ${samples.length} sample PNGs`);
  return 0;
}

async function generate(ds: ReturnType<typeof createSyntheticDataset>, out: string): Promise<number> {
  mkdirSync(join(out, 'images'), { recursive: true });
  const jsonl = createWriteStream(join(out, 'manifest.jsonl'));
  const csv = createWriteStream(join(out, 'manifest.csv'));
  csv.write('id,image,report,split\n');
  const digits = String(ds.count - 1).length;
  for (let i = 0; i < ds.count; i++) {
    const s = ds.sample(i);
    const image = `images/${String(i).padStart(digits, '0')}.png`;
    writeFileSync(join(out, image), pngBytes(s.size, s.size, toUint8(s.image)));
    const record = {
      id: s.id,
      split: s.split,
      image,
      report: s.report,
      truth: s.truth,
      negated: s.negated,
      uncertain: s.uncertain,
    };
    if (!jsonl.write(JSON.stringify(record) + '\n'))
      await new Promise<void>((done) => jsonl.once('drain', () => done()));
    csv.write([s.id, image, s.report, s.split].map(csvField).join(',') + '\n');
  }
  await Promise.all([jsonl, csv].map((w) => new Promise<void>((done) => w.end(() => done()))));
  console.log(`wrote ${ds.count} samples to ${out} (images/, manifest.jsonl, manifest.csv)`);
  return 0;
}

const command: Command = { summary: 'preview or export the synthetic chest X-ray data set', run };
export default command;
