/**
 * The deployed cohort job's merge step sends the digest (issue 13): the real full-pass handler
 * (functions/churn-cohorts.ts) driven as its state machine drives it, against dynalite, S3 on fauxqs and
 * aws-ses-v2-local, reached through the SDK's service endpoint variables. The digest goes to the configured staff
 * recipients in the configured language with a link to the pass's report.html: a presigned S3 URL that really
 * serves the report, signed for at most 12 hours with session credentials (Lambda's), or the configured base URL.
 * A digest that cannot be sent fails nothing: the snapshot and reports are stored, the failure is in the summary
 * and the metrics. The logs never carry a recipient address.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLE_SESSION_MAX_SECONDS } from '../../shared/adapters/s3/s3-report-link.ts';
import { computeCohorts } from '../../shared/domain/cohort.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import {
  clearEmails,
  freshEnv,
  type LocalAws,
  sentEmails,
  startLocalAws,
  startLocalSqs,
  type TestEnv,
} from '../helpers/local-aws.ts';
import { syntheticCustomers } from '../unit/base-shape-fixtures.ts';

const SENDER = 'reports@shop.example.com';
const RECIPIENTS = ['marketing.lead@shop.example.com', 'growth-team@shop.example.com'];
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface MergeResult {
  asOf: string;
  cohorts: number;
  customersWithPurchase: number;
  files: string[];
  digest: {
    status: string;
    reason?: string;
    recipients?: number;
    sent?: number;
    errors?: string[];
    link?: string;
    linkExpiresAt?: string;
    bytes?: number;
  };
}

let aws: LocalAws;
let env: TestEnv;
let s3: Awaited<ReturnType<typeof startLocalSqs>>;
const savedEnv = { ...process.env };
const captured: string[] = [];

const context = (): Context =>
  ({
    functionName: 'clientele-test-churn-cohorts',
    awsRequestId: `req-${Date.now()}`,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:clientele-test-churn-cohorts',
    getRemainingTimeInMillis: () => 600_000,
  }) as Context;

/** The handler module loaded fresh with this engine configuration (it parses its environment at import). */
async function cohortHandler(engine: Record<string, unknown>, extraEnv: Record<string, string> = {}): Promise<Handler> {
  Object.assign(process.env, { ENGINE_CONFIG: JSON.stringify(engine), ...extraEnv });
  vi.resetModules();
  return ((await import('../../functions/churn-cohorts.ts')) as { handler: Handler }).handler;
}

/** plan → every segment until done → merge, as the state machine runs it; stdout and console captured. */
async function runPass(
  handler: Handler,
  planEvent: Record<string, unknown> = { scheduledTime: new Date().toISOString() },
): Promise<MergeResult> {
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const spy = vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    }) as typeof stream.write);
    restore.push(() => spy.mockRestore());
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    restore.push(() => spy.mockRestore());
  }
  try {
    const plan = (await handler({ action: 'plan', ...planEvent }, context())) as {
      runId: string;
      asOf: string;
      totalSegments: number;
      segments: number[];
    };
    for (const segment of plan.segments) {
      const step = { action: 'segment', job: 'cohorts', runId: plan.runId, asOf: plan.asOf, segment };
      for (;;) {
        const done = (await handler({ ...step, totalSegments: plan.totalSegments }, context())) as { done: boolean };
        if (done.done) break;
      }
    }
    const merge = { action: 'merge', job: 'cohorts', runId: plan.runId, asOf: plan.asOf };
    return (await handler({ ...merge, totalSegments: plan.totalSegments }, context())) as MergeResult;
  } finally {
    for (const r of restore) r();
  }
}

const digestOf = async () => {
  const mails = (await sentEmails(aws)).filter((m) => m.from === SENDER);
  return { mails, html: mails[0]?.body.html ?? '', text: mails[0]?.body.text ?? '' };
};

beforeAll(async () => {
  aws = await startLocalAws();
  env = await freshEnv(aws);
  s3 = await startLocalSqs('unused-queue', 'clientele-test-reports');
  const now = new Date().toISOString();
  await env.stores.customers.seedMany(syntheticCustomers(400, now).customers);
  // Last week's snapshot: the digest compares with it.
  const weekAgo = addDays(now, -7);
  await env.stores.snapshots.saveCohortReport(
    computeCohorts(syntheticCustomers(380, weekAgo).customers, weekAgo, 'USD', weekAgo),
  );
  Object.assign(process.env, {
    CUSTOMERS_TABLE: env.tables.customers,
    ORDERS_TABLE: env.tables.orders,
    LEDGER_TABLE: env.tables.ledger,
    SNAPSHOTS_TABLE: env.tables.snapshots,
    REPORTS_BUCKET: s3.bucket,
    SENDER_ADDRESS: SENDER,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Lambda signs with its role's session credentials, whose expiry it is not told.
    AWS_SESSION_TOKEN: 'local-role-session',
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynamo.endpoint,
    AWS_ENDPOINT_URL_SESV2: aws.ses.endpoint,
    AWS_ENDPOINT_URL_S3: s3.s3Endpoint,
    POWERTOOLS_SERVICE_NAME: 'clientele-test-churn-cohorts',
    POWERTOOLS_METRICS_NAMESPACE: 'clientele',
    PUBLISHED_METRICS: '*',
  });
  for (const name of ['AWS_PROFILE', 'POWERTOOLS_DEV', 'SES_CONFIGURATION_SET']) delete process.env[name];
}, 120_000);

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await s3?.close();
  await aws?.close();
});

describe('the cohort job sends the digest after its merge', () => {
  it('to every recipient, in the configured language, with a presigned link that serves the report', async () => {
    await clearEmails(aws);
    captured.length = 0;
    const handler = await cohortHandler({ digest: { recipients: RECIPIENTS, locale: 'de-DE' } });
    const started = Date.now();
    const result = await runPass(handler);
    const day = result.asOf.slice(0, 10);

    expect(result.customersWithPurchase).toBeGreaterThan(0);
    expect(await s3.objects()).toEqual(
      expect.arrayContaining([`cohorts/${day}/report.html`, `cohorts/${day}/cohorts.json`]),
    );
    expect(result.digest).toMatchObject({ status: 'sent', recipients: 2, sent: 2, errors: [], link: 'presigned' });
    // Session credentials with no known expiry: signed for the 12 hours a role session can last at most.
    const expiresAt = Date.parse(result.digest.linkExpiresAt ?? '');
    expect(expiresAt - started).toBeGreaterThanOrEqual(ROLE_SESSION_MAX_SECONDS * 1000 - 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(ROLE_SESSION_MAX_SECONDS * 1000);

    const { mails, html, text } = await digestOf();
    expect(mails.map((m) => m.destination.to[0]).sort()).toEqual([...RECIPIENTS].sort());
    expect(mails.every((m) => m.subject.startsWith('our shop: Kundenbindung, Stand '))).toBe(true);
    expect(text).toContain('Was sich bewegt hat');
    expect(text).toContain('Veränderung seit ');
    expect(text).toContain('Der Link gilt höchstens bis ');
    expect(html).toContain('<html lang="de-DE">');
    expect(Buffer.byteLength(html)).toBe(result.digest.bytes);

    // The button's link: the pass's report.html in the reports bucket, presigned for 12 hours, and it works.
    const href = /href="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const link = new URL(href);
    expect(link.pathname).toBe(`/cohorts/${day}/report.html`);
    expect(link.hostname.startsWith(`${s3.bucket}.`)).toBe(true);
    expect(link.searchParams.get('X-Amz-Expires')).toBe(String(ROLE_SESSION_MAX_SECONDS));
    expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(link.searchParams.get('X-Amz-Security-Token')).toBe('local-role-session');
    const served = await fetch(link);
    expect(served.status).toBe(200);
    expect(await served.text()).toContain('<svg');

    // The summary line counts; it names no recipient and carries no signed URL.
    const log = captured.join('\n');
    expect(log).toContain('churn-cohorts finished');
    expect(log).toMatch(/"DigestsSent":\s*2/);
    expect(log).toMatch(/"DigestFailures":\s*0/);
    expect(log.match(EMAIL)?.[0]).toBeUndefined();
    expect(log).not.toContain('X-Amz-Signature');
  }, 180_000);

  it('links the configured base URL instead, with no expiry note', async () => {
    await clearEmails(aws);
    const handler = await cohortHandler({
      digest: { recipients: RECIPIENTS.slice(0, 1), locale: 'en', reportBaseUrl: 'https://reports.example.com/' },
    });
    const result = await runPass(handler);
    expect(result.digest).toMatchObject({ status: 'sent', recipients: 1, sent: 1, link: 'configured' });
    expect(result.digest.linkExpiresAt).toBeUndefined();
    const { mails, text, html } = await digestOf();
    expect(mails).toHaveLength(1);
    expect(html).toContain(`href="https://reports.example.com/cohorts/${result.asOf.slice(0, 10)}/report.html"`);
    expect(text).toContain('Full report: https://reports.example.com/cohorts/');
    expect(text).not.toContain('The link works until');
  }, 180_000);

  it('a digest that cannot be sent fails nothing: snapshot stored, failure returned and counted', async () => {
    await clearEmails(aws);
    captured.length = 0;
    // Nothing listens on port 9: SES cannot be reached.
    const handler = await cohortHandler(
      { digest: { recipients: RECIPIENTS, reportBaseUrl: 'https://reports.example.com/' } },
      { AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:9' },
    );
    const result = await runPass(handler);
    expect(result.cohorts).toBeGreaterThan(0);
    expect(result.digest).toMatchObject({ status: 'failed', recipients: 2, sent: 0 });
    expect(result.digest.errors).toHaveLength(2);
    expect(result.digest.errors?.every((e) => e.startsWith('unknown: ') || e.startsWith('transient: '))).toBe(true);
    expect(await env.stores.snapshots.loadCohortReport(result.asOf)).toBeDefined();
    expect((await digestOf()).mails).toHaveLength(0);
    const log = captured.join('\n');
    expect(log).toMatch(/"DigestFailures":\s*1/);
    expect(log.match(EMAIL)?.[0]).toBeUndefined();
    process.env.AWS_ENDPOINT_URL_SESV2 = aws.ses.endpoint;
  }, 180_000);

  it('sends nothing without recipients, when paused, or for a pass as of a past date', async () => {
    await clearEmails(aws);
    const none = await runPass(await cohortHandler({}));
    expect(none.digest).toEqual({ status: 'skipped', reason: 'no recipients' });
    const paused = await runPass(await cohortHandler({ digest: { recipients: RECIPIENTS, enabled: false } }));
    expect(paused.digest).toEqual({ status: 'skipped', reason: 'disabled' });
    // A manual re-run for a past date (the plan event's asOf) does not mail the team.
    const handler = await cohortHandler({ digest: { recipients: RECIPIENTS } });
    const merged = await runPass(handler, { asOf: '2024-01-31' });
    expect(merged.asOf).toBe(endOfDay('2024-01-31'));
    expect(merged.digest).toEqual({ status: 'skipped', reason: 'past as-of' });
    expect((await digestOf()).mails).toHaveLength(0);
  }, 180_000);

  it('refuses to start without a sender address when a digest is configured (the field is named)', async () => {
    delete process.env.SENDER_ADDRESS;
    try {
      await expect(cohortHandler({ digest: { recipients: RECIPIENTS } })).rejects.toThrow(
        /SENDER_ADDRESS: required to send engine.digest/,
      );
    } finally {
      process.env.SENDER_ADDRESS = SENDER;
    }
  });
});
