import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishedMetrics, stackInventory } from '../../bench/template.ts';
import { JOB_METRICS, type JobName, publishedMetricsEnv } from '../../functions/metrics.ts';
import { parseDeploymentConfig } from '../../infra/config.ts';
import { PROJECT_ROOT } from '../../infra/constructs/job-function.ts';
import { buildClientele } from './helpers.ts';

/** What the monthly bill is made of, as the stack sets it (the bench's cost model reads the same template). */
const INPUT = { stageName: 'dev', senderAddress: 'hello@mail.example.com' };

interface FunctionProps {
  FunctionName: string;
  MemorySize: number;
  LoggingConfig: { SystemLogLevel?: string; ApplicationLogLevel?: string };
  Environment: { Variables: Record<string, unknown> };
}

function functionsOf(input: Record<string, unknown>): FunctionProps[] {
  const { stacks } = buildClientele(input);
  return Object.values(Template.fromStack(stacks.jobs).findResources('AWS::Lambda::Function')).map(
    (fn) => fn.Properties,
  );
}

const jobOf = (fn: FunctionProps) => fn.FunctionName.replace('clientele-dev-', '');
const isJob = (job: string): job is JobName => Object.hasOwn(JOB_METRICS, job);

let defaults: FunctionProps[];
beforeAll(() => {
  defaults = functionsOf(INPUT);
});

describe('deployment config: metrics and dashboard', () => {
  it('defaults to the alarmed metrics only and no dashboard', () => {
    expect(parseDeploymentConfig(INPUT)).toMatchObject({ metrics: 'alarmed', dashboard: false });
  });

  it('accepts metrics "all" and dashboard true, and names a bad value', () => {
    expect(parseDeploymentConfig({ ...INPUT, metrics: 'all', dashboard: true })).toMatchObject({
      metrics: 'all',
      dashboard: true,
    });
    expect(() => parseDeploymentConfig({ ...INPUT, metrics: 'some' })).toThrow(/metrics: /);
    expect(() => parseDeploymentConfig({ ...INPUT, dashboard: 'yes' })).toThrow(/dashboard: /);
  });

  it('lists both in the example configuration', () => {
    const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'infra/config.example.json'), 'utf8'));
    expect(parseDeploymentConfig(example)).toMatchObject({ metrics: 'alarmed', dashboard: false });
  });
});

describe('functions: what each invocation costs', () => {
  it('gives the event handlers 256 MB and the scheduled jobs 512 MB (the full-pass workers 1024 MB)', () => {
    const memory = Object.fromEntries(defaults.map((fn) => [jobOf(fn), fn.MemorySize]));
    expect(memory).toMatchObject({
      'record-activity': 256,
      'ses-feedback': 256,
      unsubscribe: 256,
      'flag-dormant': 512,
      'winback-email': 512,
      'winback-send': 512,
    });
    for (const [job, mb] of Object.entries(memory)) {
      if (!['record-activity', 'ses-feedback', 'unsubscribe'].includes(job))
        expect(mb, job).toBeGreaterThanOrEqual(512);
    }
  });

  it('logs the Lambda platform lines at WARN only (no platform.start and platform.report)', () => {
    for (const fn of defaults) {
      expect(fn.LoggingConfig, fn.FunctionName).toMatchObject({ SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
    }
  });

  it('sets PUBLISHED_METRICS from `metrics`: the alarmed ones by default, `*` with "all"', () => {
    const all = functionsOf({ ...INPUT, metrics: 'all' });
    for (const [list, mode] of [
      [defaults, 'alarmed'],
      [all, 'all'],
    ] as const) {
      for (const fn of list) {
        const job = jobOf(fn);
        if (!isJob(job)) throw new Error(`${fn.FunctionName}: ${job} is not a job of functions/metrics.ts`);
        expect(fn.Environment.Variables.PUBLISHED_METRICS, fn.FunctionName).toBe(publishedMetricsEnv(job, mode));
      }
    }
    const published = Object.fromEntries(defaults.map((fn) => [jobOf(fn), fn.Environment.Variables.PUBLISHED_METRICS]));
    expect(published).toMatchObject({
      'flag-dormant': 'CustomersFlagged',
      'winback-send': 'EmailsSent,EmailsFailed',
      'record-activity': '',
      'ses-feedback': '',
      unsubscribe: '',
    });
  });
});

describe('the bench inventory of the synthesized stack (bench/template.ts)', () => {
  it('reads PUBLISHED_METRICS as the handler wrapper does', () => {
    expect(publishedMetrics('winback-send', undefined)).toEqual(['EmailsSent', 'EmailsFailed']);
    expect(publishedMetrics('winback-send', '*')).toEqual(['EmailsSent', 'EmailsFailed']);
    expect(publishedMetrics('winback-send', '')).toEqual([]);
    expect(publishedMetrics('winback-send', ' EmailsSent ')).toEqual(['EmailsSent']);
    expect(() => publishedMetrics('winback-send', 'EmailsSent,Nope')).toThrow(/Nope/);
  });

  it('bills the alarmed metrics only, no dashboard, no KMS key, and finds every function and state machine by name', () => {
    const inv = stackInventory(PROJECT_ROOT);
    expect(inv.customMetrics.map((m) => `${m.job} ${m.name}`).sort()).toEqual(
      ['winback-send EmailsFailed', 'winback-send EmailsSent', 'flag-dormant CustomersFlagged']
        .concat(inv.functions.some((f) => f.job === 'flag-full-pass') ? ['flag-full-pass CustomersFlagged'] : [])
        .sort(),
    );
    expect(inv.customMetrics.every((m) => m.alarmed)).toBe(true);
    expect(inv.dashboards).toBe(0);
    expect(inv.kmsKeys).toBe(0);
    expect(inv.alarms.filter((a) => a.metric === 'Errors').map((a) => a.name)).toEqual([
      'clientele-dev-unsubscribe-errors',
    ]);
    expect(inv.functions.every((f) => f.systemLogLevel === 'WARN')).toBe(true);
    expect(inv.stateMachines.length).toBeGreaterThan(0);
    expect(inv.sesEventTypes).toEqual(expect.arrayContaining(['send', 'delivery', 'bounce', 'complaint']));
    expect(['ALL', 'KEYS_ONLY', 'INCLUDE']).toContain(inv.customerIndexProjection);
  });

  it('counts every metric of every job with `metrics: "all"`, and the dashboard when asked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clientele-cost-'));
    const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'infra/config.example.json'), 'utf8'));
    writeFileSync(join(dir, 'all.json'), JSON.stringify({ ...example, metrics: 'all', dashboard: true }));
    const inv = stackInventory(PROJECT_ROOT, relative(PROJECT_ROOT, join(dir, 'all.json')));
    const expected = inv.functions.reduce((n, f) => n + JOB_METRICS[f.job].length, 0);
    expect(inv.customMetrics).toHaveLength(expected);
    expect(inv.customMetrics.filter((m) => m.job === 'ses-feedback')).toHaveLength(JOB_METRICS['ses-feedback'].length);
    expect(inv.dashboards).toBe(1);
    expect(inv.unpublishedDashboardMetrics).toEqual([]);
  });
});
