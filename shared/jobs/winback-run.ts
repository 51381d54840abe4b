import { type ReconcileSummary, reconcileClaims } from './reconcile-claims.ts';
import { planWinback, type WinbackPlanDeps, type WinbackPlanInput, type WinbackPlanSummary } from './winback-plan.ts';

/** Claims with no SES event after this long were never accepted by SES and are released (made due again). */
export const CLAIM_GRACE_HOURS = 24;

export interface WinbackRunInput extends Omit<WinbackPlanInput, 'maxTasks' | 'leaseMinutes'> {
  /** emails per second the senders share (the configured rate, lowered to the SES quota) */
  maxSendRate: number;
  /** minutes between planner runs */
  planIntervalMinutes: number;
}

export interface WinbackRun {
  summary: WinbackPlanSummary;
  /** steps planned (queued, or due on a dry run), all step kinds */
  planned: number;
  capacity: { maxSendRate: number; maxTasks: number };
  claims: { claimsReleased: number; claimsAwaitingSesEvent: number };
}

/**
 * One scheduled planner run (the deployed path: SES events resolve claims, a queue feeds the senders). Primary
 * course:
 *  1. release claims with no SES event after CLAIM_GRACE_HOURS (not on a dry run);
 *  2. plan at most what the senders can send before the next run (90% of the rate × the interval), so the queue
 *     never holds more than one run's work; the rest stays due;
 *  3. lease what is queued for three intervals: a task still queued then is planned again, and the ledger claim
 *     stops a second send.
 */
export async function planWinbackRun(
  deps: WinbackPlanDeps & Parameters<typeof reconcileClaims>[0],
  input: WinbackRunInput,
): Promise<WinbackRun> {
  const { maxSendRate, planIntervalMinutes, ...plan } = input;
  const now = input.now ?? input.asOf;
  const reconciled: ReconcileSummary | undefined = input.dryRun
    ? undefined
    : await reconcileClaims(deps, { now, graceHours: CLAIM_GRACE_HOURS, release: true });
  const maxTasks = Math.floor(maxSendRate * planIntervalMinutes * 60 * 0.9);
  const summary = await planWinback(deps, { ...plan, maxTasks, leaseMinutes: planIntervalMinutes * 3 });
  return {
    summary,
    planned: Object.values(summary.steps).reduce((n, step) => n + step.planned, 0),
    capacity: { maxSendRate, maxTasks },
    claims: { claimsReleased: reconciled?.released ?? 0, claimsAwaitingSesEvent: reconciled?.waiting ?? 0 },
  };
}
