/**
 * The predictive model inside the scheduled jobs, on the CDNOW 1/10 sample imported into DynamoDB (dynalite or
 * DynamoDB Local) through the real importer:
 *  - the cohort pass as of the calibration end (1997-09-30) fits, from the stored aggregates alone, the published
 *    BG/NBD and Pareto/NBD parameters (the models' own test fits them from the raw file);
 *  - the pass as of 1998-06-30 with a 39-week self-check reproduces the published holdout (actual repeat purchase
 *    days counted here from the raw file), and scores the base with the model in force (the previous pass's);
 *  - the flag under the adaptive policy stores each customer's score (equal to the score computed from the raw
 *    file) and classifies by P(alive); then 30 daily incremental runs read only customers whose check fell due and
 *    leave every customer exactly where a full reclassification would put them.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BaseModel, DEFAULT_MODEL_SETTINGS, scoringModelOf } from '../../shared/domain/btyd/base-model.ts';
import { parseCdnowTransactions } from '../../shared/domain/btyd/cdnow-format.ts';
import { summariseCustomers } from '../../shared/domain/btyd/customer-summary.ts';
import { customerScorer } from '../../shared/domain/btyd/model-scoring.ts';
import { paretoNbdPAlive } from '../../shared/domain/btyd/pareto-nbd.ts';
import { predictCustomerBase } from '../../shared/domain/btyd/predict.ts';
import { type Customer, reclassify } from '../../shared/domain/customer.ts';
import { LifecyclePolicySchema } from '../../shared/domain/lifecycle.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { parseCdnow } from '../../shared/import/parse-files.ts';
import { churnCohorts } from '../../shared/jobs/churn-cohorts.ts';
import { flagDormant } from '../../shared/jobs/flag-dormant.ts';
import { importCustomers } from '../../shared/jobs/import-customers.ts';
import { collect, freshEnv, useLocalAws } from '../helpers/local-aws.ts';

const SAMPLE = new URL('../fixtures/cdnow-sample/CDNOW_sample.txt', import.meta.url);
const NOW = '2026-01-01T00:00:00.000Z';
const relative = (ours: number, published: number) => Math.abs(ours - published) / Math.abs(published);

const aws = useLocalAws();

/** The sample in the importer's CDNOW layout (id, date, CDs, dollars), the sample's own id as the customer id. */
async function sampleAsMasterFile(): Promise<string> {
  const text = await readFile(SAMPLE, 'utf8');
  const lines = text
    .trim()
    .split('\n')
    .map((line) => {
      const [, id, date, cds, dollars] = line.trim().split(/\s+/);
      return `${id} ${date} ${cds} ${dollars}`;
    });
  const path = join(await mkdtemp(join(tmpdir(), 'cdnow-sample-')), 'sample.txt');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the predictive model in the jobs, on the CDNOW sample', () => {
  it('fits the published parameters in the cohort pass, self-checks on the holdout, scores and schedules by the model', {
    timeout: 600_000,
  }, async () => {
    const raw = parseCdnowTransactions(await readFile(SAMPLE, 'utf8'), 'cdnow-sample');
    const env = await freshEnv(aws, 4);
    const parsed = await parseCdnow(await sampleAsMasterFile(), { now: NOW });
    expect(parsed.rejected).toEqual([]);
    const imported = await importCustomers(
      { customers: env.stores.customers, orders: env.stores.orders, currency: 'USD' },
      { profiles: [], orders: parsed.records, asOf: endOfDay('1998-06-30'), now: NOW },
    );
    expect(imported.customers).toBe(2357);

    // 1. As of the calibration end: every customer in the sample (2,357 < sampleSize), aggregates rebuilt as of then.
    const settings = { ...DEFAULT_MODEL_SETTINGS, holdoutWeeks: 26 };
    const policy = LifecyclePolicySchema.parse({ mode: 'adaptive' });
    const calibration = await churnCohorts(
      { ...env.stores, modelSettings: settings },
      { asOf: endOfDay('1997-09-30'), currency: 'USD', policy, segments: 3, generatedAt: NOW },
    );
    const fit = calibration.model as BaseModel;
    expect(fit.status).toBe('fitted');
    expect([fit.buyers, fit.sampled, fit.repeatBuyers]).toEqual([2357, 2357, 946]);
    const bg = fit.bgnbd?.params;
    expect(relative(bg?.r ?? 0, 0.2426)).toBeLessThan(0.005);
    expect(relative(bg?.alpha ?? 0, 4.4136)).toBeLessThan(0.005);
    expect(relative(bg?.a ?? 0, 0.7929)).toBeLessThan(0.005);
    expect(relative(bg?.b ?? 0, 2.4259)).toBeLessThan(0.005);
    expect(Math.abs((fit.bgnbd?.logLikelihood ?? 0) - -9582.429)).toBeLessThan(0.1);
    const pareto = fit.paretoNbd?.params;
    expect(relative(pareto?.r ?? 0, 0.553)).toBeLessThan(0.005);
    expect(relative(pareto?.alpha ?? 0, 10.578)).toBeLessThan(0.005);
    expect(relative(pareto?.s ?? 0, 0.606)).toBeLessThan(0.02);
    expect(relative(pareto?.beta ?? 0, 11.669)).toBeLessThan(0.02);
    expect(Math.abs((fit.paretoNbd?.logLikelihood ?? 0) - -9595.0)).toBeLessThan(0.1);
    // No model was in force when this pass started: nothing to score the base with yet.
    expect(calibration.report.scores).toBeUndefined();
    expect(calibration.report.model?.status).toBe('fitted');

    // 2. As of the end of the data, with the self-check's calibration ending 39 weeks earlier: 1997-09-30.
    const end = endOfDay('1998-06-30');
    const latest = await churnCohorts(
      { ...env.stores, modelSettings: { ...settings, holdoutWeeks: 39 } },
      { asOf: end, currency: 'USD', policy, segments: 3, generatedAt: NOW },
    );
    const holdout = latest.model?.holdout;
    expect(holdout?.calibrationEnd).toBe('1997-09-30');
    // Repeat purchase days in (1997-09-30, 1998-06-30], from the raw rows.
    const days = new Set(
      raw.transactions
        .filter((t) => t.day > '1997-09-30' && t.day <= '1998-06-30')
        .map((t) => `${t.customerId} ${t.day}`),
    );
    expect(holdout?.totals.actual).toBe(days.size);
    const direct = predictCustomerBase(
      summariseCustomers(raw.transactions, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30' }),
      {
        calibrationEnd: '1997-09-30',
        horizonWeeks: 39,
        valuation: settings.valuation,
        overdueThreshold: 0.5,
        holdout: true,
      },
    ).holdout;
    expect(relative(holdout?.totals.paretoNbd ?? 0, direct?.totals.paretoNbd ?? 1)).toBeLessThan(1e-6);
    expect(relative(holdout?.totals.bgnbd ?? 0, direct?.totals.bgnbd ?? 1)).toBeLessThan(1e-6);
    expect(holdout?.auc.all.paretoNbdPAlive).toBeCloseTo(direct?.auc.all.paretoNbdPAlive ?? 0, 9);
    // The base was scored with the model in force at the start: the calibration pass's.
    const scores = latest.report.scores;
    expect(scores?.model).toBe(endOfDay('1997-09-30'));
    const cohortSizes = Object.values(scores?.cohorts ?? {}).map((c) => c.customers);
    expect(cohortSizes.reduce((a, b) => a + b, 0)).toBe(2357);
    expect(scores?.topAtRisk).toHaveLength(20);
    // The newest pass's model is now the one in force.
    const inForce = scoringModelOf(await env.stores.snapshots.loadModel());
    expect(inForce?.fittedAsOf).toBe(end);

    // 3. The flag, adaptive, as of the end of the data (its first run: a full pass) scores every buyer it writes.
    const flagDeps = {
      customers: env.stores.customers,
      watermarks: env.stores.snapshots,
      loadModel: () => env.stores.snapshots.loadModel(),
    };
    const first = await flagDormant(flagDeps, { asOf: end, policy, segments: 3 });
    expect(first.mode).toBe('full');
    expect(first.model).toBe(end);
    expect(first.scored).toBe(2357);
    const stored = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
    expect(stored).toHaveLength(2357);
    if (!inForce) throw new Error('no model in force');
    // Each stored P(alive) is the Pareto/NBD P(alive) of the customer's raw-file summary as of 1998-06-30.
    const asOfEnd = new Map(
      summariseCustomers(raw.transactions, { calibrationEnd: '1998-06-30' }).map((s) => [s.customerId, s]),
    );
    let worst = 0;
    for (const c of stored) {
      // The model's parser drops the leading zeros of the sample id (0403 → 403).
      const summary = asOfEnd.get(String(Number(c.customerId)));
      if (!summary || !c.score) throw new Error(`customer ${c.customerId}: no summary or no score`);
      worst = Math.max(worst, Math.abs(c.score.pAlive - paretoNbdPAlive(inForce.paretoNbd, summary)));
      const p = c.score.pAlive;
      const expected = p < 0.15 ? 'lost' : p < 0.4 ? 'dormant' : p < 0.6 ? 'at_risk' : undefined;
      if (expected) expect(c.stage, c.customerId).toBe(expected);
      else expect(['new', 'active']).toContain(c.stage);
    }
    expect(worst).toBeLessThan(1e-9);

    const scorer = customerScorer(inForce);
    // 4. 30 daily runs: each reads only the customers whose crossing fell due; after each, nobody is left behind.
    let read = 0;
    let changed = 0;
    for (let d = 1; d <= 30; d++) {
      const asOf = addDays(end, d);
      const run = await flagDormant(flagDeps, { asOf, policy, segments: 3 });
      expect(run.mode).toBe('incremental');
      read += run.scanned;
      changed += run.changed;
      if (d % 15 === 0) {
        const all = await collect(env.stores.customers.scan({ segment: 0, totalSegments: 1 }));
        const behind = all.filter((c: Customer) => reclassify(c, asOf, policy, scorer).stage !== c.stage);
        expect(behind.map((c) => c.customerId)).toEqual([]);
      }
    }
    expect(changed).toBeGreaterThan(0);
    // Work proportional to change: every customer read was due (a crossing), and a crossing is a stage change.
    expect(read).toBeLessThanOrEqual(Math.ceil(1.5 * changed));
  });
});
