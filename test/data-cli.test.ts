// `medtrim data preview|generate` end to end, in-process, into a temporary folder.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import command from '../src/cli/commands/data.js';
import { loadCsvManifest } from '../src/data/loaders/manifest.js';
import { drawText, wrapText } from '../src/data/font.js';

describe('medtrim data', () => {
  it('preview writes a contact sheet PNG and the sample images', async () => {
    const out = mkdtempSync(join(tmpdir(), 'medtrim-data-'));
    expect(await command.run(['preview', '--out', out, '--seed', '4', '--size', '32', '--count', '3'])).toBe(0);
    const sheet = decode(readFileSync(join(out, 'contact-sheet.png')));
    expect(sheet.width).toBeGreaterThan(400);
    const sample = decode(readFileSync(join(out, 'sample-2.png')));
    expect([sample.width, sample.height, sample.channels]).toEqual([32, 32, 1]);
  });

  it('generate writes PNGs and manifests that the CSV loader reads back', async () => {
    const out = mkdtempSync(join(tmpdir(), 'medtrim-data-'));
    expect(await command.run(['generate', '--out', out, '--count', '5', '--size', '32'])).toBe(0);
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(existsSync(join(out, lines[4].image))).toBe(true);
    const { records, skipped } = loadCsvManifest(join(out, 'manifest.csv'));
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.report)).toEqual(lines.map((l) => l.report));
    expect(records.map((r) => r.split)).toEqual(lines.map((l) => l.split));
  });

  it('rejects bad input with one-line messages', async () => {
    await expect(command.run(['preview'])).rejects.toThrow('--out DIR is required');
    await expect(command.run(['preview', '--out', '/tmp/x', '--size', 'big'])).rejects.toThrow(
      "--size must be an integer, got 'big'",
    );
    await expect(command.run(['shuffle', '--out', '/tmp/x'])).rejects.toThrow(/unknown action 'shuffle'/);
  });

  it('the bitmap font draws known glyph pixels and wraps words', () => {
    const canvas = new Uint8Array(6 * 7);
    drawText(canvas, 6, 0, 0, 'T');
    // 'T': the whole top row and the middle column.
    expect(Array.from(canvas.subarray(0, 5))).toEqual([255, 255, 255, 255, 255]);
    expect([1, 2, 3, 4, 5, 6].map((row) => canvas[row * 6 + 2])).toEqual([255, 255, 255, 255, 255, 255]);
    expect(canvas[6 + 0]).toBe(0);
    expect(wrapText('small left pleural effusion', 11)).toEqual(['small left', 'pleural', 'effusion']);
  });
});
