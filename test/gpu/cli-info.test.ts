import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('medtrim info --json', () => {
  it('prints the adapter it chose and exits by itself', () => {
    const stdout = execFileSync(process.execPath, ['bin/medtrim.js', 'info', '--json'], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const report = JSON.parse(stdout);
    expect(report.adapter.backend).toBe(process.env.MEDTRIM_BACKEND);
    expect(report.adapter.description).toMatch(/SwiftShader|Mesa/);
    expect(report.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(typeof report.features.subgroups).toBe('boolean');
  });

  it('fails with a one-line error for an unknown backend', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, ['bin/medtrim.js', 'info', '--backend', 'metalx'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      stderr = (err as { stderr: string }).stderr;
      expect((err as { status: number }).status).toBe(1);
    }
    expect(stderr).toMatch(/medtrim info: backend 'metalx' .* is not one of/);
  });
});
