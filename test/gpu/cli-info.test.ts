import { execFileSync, spawnSync } from 'node:child_process';
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

  it("prints no warning of Dawn's on stderr, and all else the command prints there", () => {
    const cli = spawnSync(process.execPath, ['bin/medtrim.js', 'info'], { encoding: 'utf8', timeout: 60_000 });
    // The same command without the relay of bin/medtrim.js.
    const main = "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(['info']);";
    const raw = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect([cli.status, raw.status], raw.stderr).toEqual([0, 0]);
    expect(cli.stdout).toBe(raw.stdout);
    const dawn =
      /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\n/gm;
    // Dawn prints both whenever it opens the OpenGL ES adapter.
    if (process.env.MEDTRIM_BACKEND === 'gles') expect(raw.stderr.match(dawn)).toHaveLength(2);
    expect(cli.stderr).toBe(raw.stderr.replace(dawn, ''));
  });
});
