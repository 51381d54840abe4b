import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const SAMPLE = join(ROOT, 'tests/fixtures/cdnow-sample/CDNOW_sample.txt');

/** Runs the CLI on a fresh data directory; returns its output and exit code instead of throwing. */
async function clientele(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'clientele-predict-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/clientele.js'), '--data-dir', join(dir, 'db'), ...args],
      {
        cwd: dir,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? Number(error.code ?? 1) : 0 }),
    );
  });
}

describe('clientele predict', () => {
  it('prints the issue-14 JSON for the CDNOW sample', { timeout: 120_000 }, async () => {
    const args = ['predict', '--format', 'cdnow-sample', SAMPLE, '--calibration-end', '1997-09-30'];
    const [{ stdout, code }, text] = await Promise.all([
      clientele('--json', ...args, '--horizon-weeks', '39'),
      clientele(...args),
    ]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(Object.keys(out)).toEqual(['bgnbd', 'gammaGamma', 'paretoNbd', 'customers', 'holdout']);
    expect(Object.keys(out.bgnbd)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood']);
    expect(Object.keys(out.paretoNbd)).toEqual(['r', 'alpha', 's', 'beta', 'logLikelihood']);
    expect(Object.keys(out.gammaGamma)).toEqual(['p', 'q', 'gamma']);
    expect(out.bgnbd.r).toBeCloseTo(0.2426, 3);
    expect(out.customers).toHaveLength(2357);
    expect(out.customers[0]).toEqual({
      customerId: '1',
      frequency: 2,
      recency: expect.closeTo(30.43, 2),
      T: expect.closeTo(38.86, 2),
      pAlive: expect.any(Number),
      expectedTransactions: expect.any(Number),
      expectedValue: expect.any(Number),
    });
    expect(out.holdout.totals.actual).toBe(1882);
    expect(out.holdout.byFrequency.map((r: { frequency: string }) => r.frequency)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7+',
    ]);
    expect(out.holdout.auc.all.daysSinceLastPurchase).toBeGreaterThan(0.5);

    expect(text.stdout).toMatch(/BG\/NBD\s+r 0\.2426/);
    expect(text.stdout).toMatch(/ROC AUC/);
  });

  it('names what is missing: the format with a file, the calibration end with a file', async () => {
    const [noFormat, noEnd] = await Promise.all([
      clientele('predict', SAMPLE, '--calibration-end', '1997-09-30'),
      clientele('predict', '--format', 'cdnow-sample', SAMPLE),
    ]);
    expect(noFormat.code).toBe(1);
    expect(noFormat.stderr).toMatch(/--format is required/);
    expect(noEnd.code).toBe(1);
    expect(noEnd.stderr).toMatch(/--calibration-end is required/);
  });
});
