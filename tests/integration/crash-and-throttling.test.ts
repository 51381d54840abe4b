import { execFile } from 'node:child_process';
import { createServer, request } from 'node:http';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { sesClient, sesEmailSender } from '../../shared/adapters/ses/ses-email-sender.ts';
import { ENROLLMENT_STEP } from '../../shared/domain/campaign.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { addDays, endOfDay } from '../../shared/domain/time.ts';
import { flagDormantFullPass } from '../../shared/jobs/flag-dormant.ts';
import { reconcileClaims } from '../../shared/jobs/reconcile-claims.ts';
import { recordActivity } from '../../shared/jobs/record-activity.ts';
import { applySesFeedback } from '../../shared/jobs/ses-feedback.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import type { EmailSender } from '../../shared/ports.ts';
import { clearEmails, collect, freshEnv, sentEmails, type TestEnv, useLocalAws } from '../helpers/local-aws.ts';
import { TEMPLATES } from '../helpers/templates.ts';

const run = promisify(execFile);
const config = DEFAULT_ENGINE_CONFIG;
const AS_OF = endOfDay('2026-06-30');
const NOW = '2026-06-30T12:00:00.000Z';
const CHILD = new URL('../helpers/winback-crash-child.ts', import.meta.url).pathname;

const aws = useLocalAws();
beforeEach(async () => {
  await clearEmails(aws);
});

async function dormantBase(n: number): Promise<{ env: TestEnv; ids: string[] }> {
  const env = await freshEnv(aws);
  const at = addDays(AS_OF, -100);
  const ids = Array.from({ length: n }, (_, i) => `k${String(i).padStart(3, '0')}`);
  await recordActivity(
    { customers: env.stores.customers, orders: env.stores.orders, policy: config.policy, currency: 'USD', now: at },
    ids.flatMap((id) => [
      {
        type: 'customer.signed_up',
        eventId: `s-${id}`,
        customerId: id,
        occurredAt: at,
        email: `${id}@example.com`,
        marketingConsent: true,
      },
      {
        type: 'order.placed',
        eventId: `o-${id}`,
        customerId: id,
        occurredAt: at,
        orderId: `o-${id}`,
        amountMinor: 1000,
        currency: 'USD',
      },
    ]),
  );
  await flagDormantFullPass({ customers: env.stores.customers }, { asOf: AS_OF, policy: config.policy, segments: 1 });
  return { env, ids };
}

const complete = (env: TestEnv, email: EmailSender, maxSendRate = 1000, asOf = AS_OF, now = NOW) =>
  winbackEmail(
    { customers: env.stores.customers, ledger: env.stores.ledger, email },
    {
      asOf,
      now,
      config: config.winback,
      sending: { ...config.sending, holdoutPercent: 0 },
      from: 'shop@example.com',
      templates: TEMPLATES,
      runId: 'rerun',
      maxSendRate,
    },
  );

/** What SES does in AWS: a Send event for every accepted email, carrying the message tags. */
async function deliverSesSendEvents(env: TestEnv, episode: string) {
  const events = (await sentEmails(aws)).map((m) => ({
    type: 'send',
    messageId: m.messageId,
    at: NOW,
    customerId: (m.destination.to[0] as string).split('@')[0],
    campaignId: 'winback',
    episode,
    stepId: 'miss-you',
  }));
  const summary = await applySesFeedback(
    { customers: env.stores.customers, ledger: env.stores.ledger, policy: config.feedback },
    events,
  );
  expect(summary.rejected).toEqual([]);
}

describe('crash injection', () => {
  const points = [1, 2, 4, 7, 10].flatMap((k) => (['before', 'after'] as const).map((when) => ({ k, when })));

  it.each(points)(
    'killed $when SES call $k: after rerun, reconciliation and rerun, every customer got the step exactly once',
    { timeout: 60_000 },
    async ({ k, when }) => {
      const { env, ids } = await dormantBase(10);
      const child = await run(process.execPath, ['--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          DDB: aws.dynamo.endpoint,
          SES: aws.ses.endpoint,
          PREFIX: env.tables.customers.replace(/-customers$/, ''),
          CRASH_AT: String(k),
          CRASH_WHEN: when,
          AS_OF,
          NOW,
        },
      }).then(
        (out) => ({ killed: false, output: `${out.stdout}${out.stderr}` }),
        (error: { signal?: string; stderr?: string }) => ({
          killed: error.signal === 'SIGKILL',
          output: error.stderr ?? '',
        }),
      );
      expect(child.killed, child.output.slice(-2000)).toBe(true);

      // 1. Rerun to completion: claims of the crashed run are never resent.
      const email = sesEmailSender(sesClient({ endpoint: aws.ses.endpoint }));
      await complete(env, email);
      const perRecipient = new Map<string, number>();
      for (const m of await sentEmails(aws))
        perRecipient.set(m.destination.to[0] as string, (perRecipient.get(m.destination.to[0] as string) ?? 0) + 1);
      expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
      const claimed = (await collect(env.stores.ledger.scanAll())).filter((e) => e.status === 'claimed');
      // The crashed call (and calls in flight with it) are left for reconciliation, nothing else.
      expect(claimed.length).toBeGreaterThanOrEqual(1);
      expect(claimed.length).toBeLessThanOrEqual(3);
      const pending = await reconcileClaims(env.stores, { now: NOW, graceHours: 24, release: false });
      expect(pending.waiting).toBe(claimed.length);
      expect(ids.filter((id) => !perRecipient.has(`${id}@example.com`)).length).toBeLessThanOrEqual(claimed.length);

      // 2. SES Send events resolve the claims SES accepted; after 24 h the others are released and sent.
      const episode = (await env.stores.customers.get('k000'))?.dormantSince?.slice(0, 10) as string;
      await deliverSesSendEvents(env, episode);
      const released = await reconcileClaims(env.stores, {
        now: addDays(NOW, 8),
        graceHours: 24,
        release: true,
      });
      expect(released.released).toBe(ids.length - (await sentEmails(aws)).length);
      // The crashed attempt had already reserved the customer's frequency-cap slot: the released step goes out once
      // the 7-day cap has passed (conservative: a slot is never given back for an email that might exist).
      await complete(env, email, 1000, endOfDay('2026-07-08'), '2026-07-08T12:00:00.000Z');

      const final = await sentEmails(aws);
      expect(final.map((m) => m.destination.to[0]).sort()).toEqual(ids.map((id) => `${id}@example.com`));
      const ledger = await collect(env.stores.ledger.scanAll());
      expect(ledger.filter((e) => e.stepId === 'miss-you' && e.status === 'sent')).toHaveLength(ids.length);
    },
  );
});

describe('SES throttling', () => {
  it('sends everything once, never above the configured rate, with half of all calls throttled', {
    timeout: 120_000,
  }, async () => {
    const { env, ids } = await dormantBase(60);
    // A proxy in front of aws-ses-v2-local answering every other call with SES's 429 TooManyRequestsException.
    const accepted: number[] = [];
    let calls = 0;
    const target = new URL(aws.ses.endpoint);
    const proxy = createServer((req, res) => {
      calls += 1;
      if (calls % 2 === 0) {
        req.resume();
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
        res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
        return;
      }
      accepted.push(Date.now());
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const email = sesEmailSender(sesClient({ endpoint }));
      const maxRate = 20;
      let sent = 0;
      let throttled = 0;
      for (let runNo = 0; runNo < 4 && sent < ids.length; runNo++) {
        const summary = await complete(env, email, maxRate);
        sent += summary.steps['miss-you']?.sent ?? 0;
        throttled += summary.steps['miss-you']?.throttled ?? 0;
      }
      expect(sent).toBe(ids.length);
      expect(throttled).toBeGreaterThan(0);
      const mails = await sentEmails(aws);
      expect(mails).toHaveLength(ids.length);
      expect(new Set(mails.map((m) => m.destination.to[0])).size).toBe(ids.length);
      // Every attempt is paced, so accepted sends in any one-second window never exceed the rate.
      const sorted = [...accepted].sort((a, b) => a - b);
      let peak = 0;
      for (let i = 0, j = 0; i < sorted.length; i++) {
        while ((sorted[i] as number) - (sorted[j] as number) >= 1000) j++;
        peak = Math.max(peak, i - j + 1);
      }
      expect(peak).toBeLessThanOrEqual(maxRate);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('SES errors in the ledger', () => {
  it('stores the error name and HTTP status, never the message that quotes the address', async () => {
    const { env, ids } = await dormantBase(2);
    const [refused, timedOut] = ids as [string, string];
    // SES refusing the first customer's send, with the address in its message (as SES does), through the real SDK.
    const target = new URL(aws.ses.endpoint);
    const proxy = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        if (body.includes(`${refused}@example.com`)) {
          res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
          res.end(
            JSON.stringify({
              message: `Email address is not verified. The following identities failed the check: ${refused}@example.com`,
            }),
          );
          return;
        }
        const upstream = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 500, up.headers);
            up.pipe(res);
          },
        );
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    const real = sesEmailSender(
      sesClient({ endpoint: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }),
    );
    // The second customer's send times out after the request left: outcome unknown, the message names the address.
    const email: EmailSender = {
      async send(message) {
        if (message.to.includes(`${timedOut}@example.com`)) {
          const error = new Error(`socket hang up while sending to ${timedOut}@example.com`);
          error.name = 'TimeoutError';
          throw error;
        }
        return real.send(message);
      },
    };
    try {
      const summary = await complete(env, email);
      expect(summary.steps['miss-you']).toMatchObject({ sent: 0, failed: 1, unknownOutcome: 1 });
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    // The step entries (the enrollment record sorts first under the same prefix).
    const [failed] = (await env.stores.ledger.forCustomer(refused, 'winback#')).filter(
      (e) => e.stepId !== ENROLLMENT_STEP,
    );
    expect(failed).toMatchObject({ status: 'failed', error: 'MessageRejected (HTTP 400)' });
    const [unknown] = (await env.stores.ledger.forCustomer(timedOut, 'winback#')).filter(
      (e) => e.stepId !== ENROLLMENT_STEP,
    );
    expect(unknown).toMatchObject({ status: 'claimed', error: 'outcome unknown: TimeoutError' });
    const stored = JSON.stringify([failed, unknown]);
    expect(stored).not.toContain('@');
    expect(stored).not.toContain('not verified');
    // `clientele reconcile` prints these errors: no address there either.
    const pending = await reconcileClaims(env.stores, { now: NOW, graceHours: 0, release: false });
    expect(pending.pending.map((p) => [p.customerId, p.error])).toEqual([[timedOut, 'outcome unknown: TimeoutError']]);
  });
});
