import type { InvalidItem } from '../domain/common.ts';
import type { Ineligibility } from '../domain/winback.ts';

/** What the hourly planner reports (winback-plan.ts): per campaign, per step, and what it skipped or left. */
/** What the planner counts per campaign: enrollments (both arms, at the moment the customer qualified). */
export interface PlanCampaignCounts {
  enrolled: number;
  /** of them, in the hold-out arm */
  holdout: number;
  /** customers who qualified for this campaign at the same time as for a higher-priority one, which enrolled them */
  outranked: number;
  /** another run wrote the enrollment first */
  alreadyEnrolled: number;
}

/** What the planner counts per step; the senders' outcomes are counted where the sends happen. */
export interface PlanStepCounts {
  /** eligible customers whose next step this is */
  due: number;
  /** handed to the senders */
  planned: number;
  /** in the hold-out group: recorded, never emailed */
  heldOut: number;
  /** outside the customer's local send window: due again when the window opens */
  quietHours: number;
  /** another run owned the hold-out claim */
  alreadyClaimed: number;
  /** planned by an earlier run whose enrollment still leases it (its task is queued): not planned again */
  inFlight: number;
}

export interface WinbackPlanSummary {
  asOf: string;
  /** the campaigns planned, comma-separated (`winback` by default) */
  campaignId: string;
  dryRun: boolean;
  /** due: only customers with a step due (the index); full: every customer in a recent dormancy episode */
  mode: 'due' | 'full';
  /** customers read */
  candidates: number;
  campaigns: Record<string, PlanCampaignCounts>;
  /** by step id (unique across campaigns) */
  steps: Record<string, PlanStepCounts>;
  skipped: Partial<Record<Ineligibility, number>>;
  /** customers whose `winbackDueAt` was moved on (not due yet, quiet hours, ineligible: removed) */
  rescheduled: number;
  /** due but over the run's `maxTasks`: left due for the next run */
  leftForNextRun: number;
  /** tasks the queue did not take: left due for the next run */
  enqueueFailed: number;
  invalid: InvalidItem[];
  samples: { stepId: string; customerId: string; locale: string; subject: string; text: string; html: string }[];
}

export const emptyPlanStepCounts = (): PlanStepCounts => ({
  due: 0,
  planned: 0,
  heldOut: 0,
  quietHours: 0,
  alreadyClaimed: 0,
  inFlight: 0,
});
