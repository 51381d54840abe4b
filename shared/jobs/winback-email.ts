import { pacer, runConcurrently } from '../concurrency.ts';
import type { Customer } from '../domain/customer.ts';
import { addDays } from '../domain/time.ts';
import {
  episodeOf,
  type Ineligibility,
  type LedgerEntry,
  ledgerKey,
  nextWinbackStep,
  type WinbackConfig,
  winbackIneligibility,
} from '../domain/winback.ts';
import { renderWinbackEmail } from '../email/render-winback-email.ts';
import type { CustomerRepository, EmailSender, InvalidItem, SendLedger } from '../ports.ts';
import { signUnsubscribeToken } from '../unsubscribe/token.ts';

export interface WinbackDeps {
  customers: CustomerRepository;
  ledger: SendLedger;
  email: EmailSender;
}

export interface WinbackInput {
  asOf: string;
  config: WinbackConfig;
  from: string;
  runId: string;
  dryRun?: boolean;
  /** SES maximum send rate (emails per second) */
  maxSendRate?: number;
  sendConcurrency?: number;
  /** rendered samples per step in a dry run */
  samplesPerStep?: number;
  /** One-click unsubscribe (RFC 8058): every email carries List-Unsubscribe headers and a footer link. */
  unsubscribe?: { baseUrl: string; secret: string; mailto?: string | undefined };
  onCandidate?: () => void;
}

export interface StepCounts {
  due: number;
  sent: number;
  failed: number;
  /** released for a later run after SES refused for a transient reason (throttling) */
  deferred: number;
  /** SES outcome unknown (timeout after the request left): left claimed for reconciliation, never resent */
  unknownOutcome: number;
  /** another run owned the claim */
  alreadyClaimed: number;
}

export interface WinbackSummary {
  asOf: string;
  campaignId: string;
  dryRun: boolean;
  candidates: number;
  steps: Record<string, StepCounts>;
  skipped: Partial<Record<Ineligibility, number>>;
  invalid: InvalidItem[];
  samples: { stepId: string; customerId: string; locale: string; subject: string; text: string; html: string }[];
}

/**
 * Primary course:
 *  1. list customers in a dormancy episode from the sparse index (never a table scan);
 *  2. for each, read its ledger entries for the episode and pick the next due step (pure rule);
 *  3. claim the ledger entry customer+campaign+episode+step with a conditional write; only the winner sends;
 *  4. send through SES at no more than the maximum rate, then record the message id.
 * A dry run does steps 1–2 only, counts the audience per step and renders samples.
 */
export async function winbackEmail(deps: WinbackDeps, input: WinbackInput): Promise<WinbackSummary> {
  const { config } = input;
  const dryRun = input.dryRun ?? false;
  const steps = Object.fromEntries(
    config.steps.map((s) => [s.id, { due: 0, sent: 0, failed: 0, deferred: 0, unknownOutcome: 0, alreadyClaimed: 0 }]),
  ) as Record<string, StepCounts>;
  const summary: WinbackSummary = {
    asOf: input.asOf,
    campaignId: config.campaignId,
    dryRun,
    candidates: 0,
    steps,
    skipped: {},
    invalid: [],
    samples: [],
  };
  const wait = pacer(input.maxSendRate ?? 14);
  const lastOffset = config.steps.at(-1)?.offsetDays ?? 0;
  // Episodes older than the age limit plus the whole sequence (and a month of slack) cannot have a step due.
  const from = addDays(input.asOf, -(config.maxEpisodeAgeDays + lastOffset + 30));

  const skip = (reason: Ineligibility) => {
    summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
  };

  /** Ledger entries of the current episode for a page of customers, in one batched read. */
  const sentSteps = async (customers: Customer[]) => {
    const keys = customers.flatMap((c) =>
      config.steps.map((s) => ({
        customerId: c.customerId,
        key: ledgerKey(config.campaignId, episodeOf(c) as string, s.id),
      })),
    );
    const bySender = new Map<string, Map<string, string>>();
    for (const e of await deps.ledger.getMany(keys)) {
      if (e.status === 'released') continue;
      const map = bySender.get(e.customerId) ?? new Map<string, string>();
      map.set(e.stepId, e.runAsOf);
      bySender.set(e.customerId, map);
    }
    return bySender;
  };

  const handle = async (customer: Customer, sent: ReadonlyMap<string, string>) => {
    const episode = episodeOf(customer) as string;
    const next = nextWinbackStep(customer, sent, input.asOf, config);
    if ('skip' in next) return skip(next.skip);
    const counts = steps[next.step.id] as StepCounts;
    counts.due += 1;
    const unsubscribeUrl = input.unsubscribe
      ? `${input.unsubscribe.baseUrl}${input.unsubscribe.baseUrl.includes('?') ? '&' : '?'}t=${signUnsubscribeToken(
          {
            customerId: customer.customerId,
            campaignId: config.campaignId,
            issuedAt: Math.floor(Date.parse(input.asOf) / 1000),
          },
          input.unsubscribe.secret,
        )}`
      : undefined;
    const rendered = renderWinbackEmail({
      customer,
      step: next.step,
      config,
      now: input.asOf,
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    });
    const headers = unsubscribeUrl
      ? [
          {
            name: 'List-Unsubscribe',
            value: [
              `<${unsubscribeUrl}>`,
              ...(input.unsubscribe?.mailto ? [`<mailto:${input.unsubscribe.mailto}?subject=unsubscribe>`] : []),
            ].join(', '),
          },
          { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
        ]
      : undefined;
    if (dryRun) {
      if (summary.samples.filter((s) => s.stepId === next.step.id).length < (input.samplesPerStep ?? 1)) {
        summary.samples.push({ stepId: next.step.id, customerId: customer.customerId, ...rendered });
      }
      return;
    }
    const key = ledgerKey(config.campaignId, episode, next.step.id);
    const entry: LedgerEntry = {
      customerId: customer.customerId,
      key,
      campaignId: config.campaignId,
      episode,
      stepId: next.step.id,
      status: 'claimed',
      claimedAt: new Date().toISOString(),
      runAsOf: input.asOf,
      runId: input.runId,
    };
    if (!(await deps.ledger.claim(entry))) {
      counts.alreadyClaimed += 1;
      return;
    }
    await wait();
    try {
      const { messageId } = await deps.email.send({
        to: customer.email as string,
        from: input.from,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        ...(headers ? { headers } : {}),
        // SES tag values allow only [A-Za-z0-9_-]: the customer id travels base64url-encoded, losslessly.
        tags: {
          campaign: config.campaignId,
          episode,
          step: next.step.id,
          customer: Buffer.from(customer.customerId).toString('base64url'),
        },
      });
      await deps.ledger.complete(customer.customerId, key, {
        status: 'sent',
        sentAt: new Date().toISOString(),
        messageId,
      });
      counts.sent += 1;
    } catch (error) {
      const outcome = classifySendError(error);
      const message = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : 'unknown error';
      if (outcome === 'unknown') {
        counts.unknownOutcome += 1;
        await deps.ledger.complete(customer.customerId, key, {
          status: 'claimed',
          error: `outcome unknown: ${message}`,
        });
      } else if (outcome === 'transient') {
        counts.deferred += 1;
        await deps.ledger.complete(customer.customerId, key, { status: 'released', error: message });
      } else {
        counts.failed += 1;
        await deps.ledger.complete(customer.customerId, key, { status: 'failed', error: message });
      }
    }
  };

  for await (const page of deps.customers.dormantBetween(from, input.asOf)) {
    summary.invalid.push(...page.invalid);
    const eligible: Customer[] = [];
    for (const customer of page.items) {
      summary.candidates += 1;
      input.onCandidate?.();
      const reason = winbackIneligibility(customer);
      if (reason) skip(reason);
      else eligible.push(customer);
    }
    const sent = await sentSteps(eligible);
    await runConcurrently(eligible, input.sendConcurrency ?? 4, (c) => handle(c, sent.get(c.customerId) ?? new Map()));
  }
  return summary;
}

/**
 * An SES error response means SES did not accept the email: throttling and server errors may be retried by a
 * later run; other refusals are final. No response at all (timeout, reset) means the outcome is unknown.
 */
export function classifySendError(error: unknown): 'transient' | 'permanent' | 'unknown' {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return 'unknown';
  if (status === 429 || status >= 500 || e.name === 'TooManyRequestsException' || e.name === 'LimitExceededException') {
    return 'transient';
  }
  return 'permanent';
}
