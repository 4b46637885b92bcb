import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'medtrim-tok-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/medtrim.js', 'tokenize', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('medtrim tokenize', () => {
  it('prints one JSON id array per stdin line (bert-base-uncased ids)', () => {
    const { status, stdout } = cli([], 'Hello, world!\n\nhello world hello\n');
    expect(status).toBe(0);
    expect(stdout).toBe('[101,7592,1010,2088,999,102]\n[101,102]\n[101,7592,2088,7592,102]\n');
  });

  it('honours --vocab, --cased, --max-length and --tokens', () => {
    const vocab = join(dir, 'vocab.txt');
    writeFileSync(vocab, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'Hi', 'hi', '##s'].join('\n') + '\n');
    expect(cli(['--vocab', vocab], 'His\n').stdout).toBe('[2,5,6,3]\n');
    expect(cli(['--vocab', vocab, '--cased', '--tokens'], 'His his\n').stdout).toBe(
      '["[CLS]","Hi","##s","hi","##s","[SEP]"]\n',
    );
    expect(cli(['--vocab', vocab, '--max-length', '3'], 'hi hi hi\n').stdout).toBe('[2,5,3]\n');
  });

  it('prints help and rejects bad options with a one-line message', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: medtrim tokenize/);
    const bad = cli(['--max-length', 'x']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe("medtrim tokenize: --max-length must be an integer >= 2, got 'x'");
    const missing = cli(['--vocab', join(dir, 'none.txt')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('none.txt: cannot read vocabulary');
  });
});
