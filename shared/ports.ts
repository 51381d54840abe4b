import type { BaseModel } from './domain/btyd/model-record.ts';
import type { CohortReport } from './domain/cohort.ts';
import type { InvalidItem } from './domain/common.ts';
import type { Customer } from './domain/customer.ts';
import type { ErasureEntry } from './domain/erasure.ts';
import type { Order } from './domain/events.ts';
import type { Stage } from './domain/lifecycle.ts';
import type { LedgerEntry, WinbackTask } from './domain/winback.ts';

export type { InvalidItem };

export interface Page<T> {
  items: T[];
  invalid: InvalidItem[];
  /** items whose stored index keys do not match their data (what `clientele check` reports); scans only */
  inconsistent?: InvalidItem[];
  /** where the next page starts (scans): a resumable cursor, absent after the last page */
  next?: string;
}

export interface ScanSegment {
  segment: number;
  totalSegments: number;
}

export interface CustomerRepository {
  /** Strongly consistent: a writer conditions its write on exactly what it read. */
  get(customerId: string): Promise<Customer | undefined>;
  /** Strongly consistent batched reads. */
  getMany(customerIds: readonly string[]): Promise<Map<string, Customer>>;
  /**
   * Writes the customer only if the stored version is still `expectedVersion` (`null`: only if absent),
   * storing `expectedVersion + 1`. Returns false when someone else wrote in between.
   */
  saveIfVersion(customer: Customer, expectedVersion: number | null): Promise<boolean>;
  /**
   * Reserves the customer's marketing-email slot: sets lastMarketingEmailAt = at (and bumps the version) only if the
   * previous one is absent or not after `notAfter`, and only while the customer still has marketing consent and no
   * suppression. Atomic, so two campaigns cannot both pass the frequency cap and a withdrawal always wins.
   */
  reserveMarketingSlot(customerId: string, at: string, notAfter: string): Promise<boolean>;
  /**
   * Gives a reserved slot back when SES definitely did not send (it refused): restores `previous` (or removes the
   * mark) only if the slot is still the one reserved at `at`.
   */
  releaseMarketingSlot(customerId: string, at: string, previous: string | undefined): Promise<void>;
  /**
   * The sender's one customer write: reserves the marketing slot (as reserveMarketingSlot: consent, no suppression,
   * the frequency cap) and moves `winbackDueAt` to `dueAt` (removed when undefined), only while the customer is
   * still in the campaign episode the task was planned for (`episode`: its trigger stage and start; `dormant` checks
   * the dormancy episode) and has an address. Returns the customer as it was before the write (to render the
   * email), or undefined when a condition did not hold (read the customer to learn which).
   */
  reserveSend(
    customerId: string,
    input: { at: string; notAfter: string; episode: { stage: Stage; start: string }; dueAt: string | undefined },
  ): Promise<Customer | undefined>;
  /** Deletes the customer only if the stored version is still `expectedVersion`; false if someone wrote meanwhile. */
  deleteIfVersion(customerId: string, expectedVersion: number): Promise<boolean>;
  /**
   * Blind bulk write (BatchWrite) for seeding an empty table (benchmarks, fixtures). No job uses it: every job
   * writes a customer with saveIfVersion, conditional on what it read.
   */
  seedMany(customers: readonly Customer[]): Promise<void>;
  /** One segment of a parallel full scan, page by page; `from` resumes after a page's `next` cursor. */
  scan(segment: ScanSegment, from?: string): AsyncIterable<Page<Customer>>;
  /** Customers whose next time-driven stage check falls in (after, upTo], via the day-sharded index. */
  dueForCheck(after: string, upTo: string): AsyncIterable<Page<Customer>>;
  /** Customers whose win-back step is due at or before `upTo` (`winbackDueAt`), via the sparse sharded index. */
  dueForWinback(upTo: string): AsyncIterable<Page<Customer>>;
  /**
   * Sets (or, with `undefined`, removes) `winbackDueAt`, only if the customer is still in the dormancy episode
   * that started at `episodeStart` (`undefined`: in none). False if that no longer holds.
   */
  setWinbackDue(
    customerId: string,
    episodeStart: string | undefined,
    dueAt: string | undefined,
    /** only if `winbackDueAt` is still this (`{ dueAt: undefined }`: still absent) */
    expected?: { dueAt: string | undefined },
  ): Promise<boolean>;
  /** Customers whose dormancy episode started in [from, to], via the sparse sharded index (no table scan). */
  dormantBetween(from: string, to: string): AsyncIterable<Page<Customer>>;
  /** The table's item count as DynamoDB last computed it (refreshed about every six hours): sizes a full pass. */
  approximateCount(): Promise<number>;
  /** Removes every customer (demo reset). */
  deleteMany(customerIds: readonly string[]): Promise<void>;
}

/**
 * Orders are immutable facts keyed by customer and order id. An order is stored before any customer write counts it,
 * and a customer's aggregates are those of its stored orders (I1).
 */
export interface OrderRepository {
  /** Strongly consistent. */
  get(customerId: string, orderId: string): Promise<Order | undefined>;
  /** Stores the order unless one with that id exists; returns false if it did. */
  putIfAbsent(order: Order): Promise<boolean>;
  /**
   * Batched puts of orders the caller found absent. Blind, which is safe only because an order's content never
   * changes: a concurrent writer of the same order id writes the same facts (conflicting facts are refused before).
   */
  putMany(orders: readonly Order[]): Promise<void>;
  /** Strongly consistent batched reads; the orders that exist among the keys. */
  getMany(keys: readonly { customerId: string; orderId: string }[]): Promise<Order[]>;
  /** Every order of one customer (strongly consistent). */
  listForCustomer(customerId: string): Promise<Order[]>;
  /** Every order, page by page (`clientele check`). */
  scanAll(): AsyncIterable<Page<Order>>;
  deleteMany(keys: readonly { customerId: string; orderId: string }[]): Promise<void>;
}

export type LedgerUpdate = Pick<LedgerEntry, 'status'> &
  Partial<Pick<LedgerEntry, 'sentAt' | 'messageId' | 'error' | 'locale'>>;

export interface SendLedger {
  /** Conditional put: true if this caller now owns the send, false if the entry existed. */
  claim(entry: LedgerEntry): Promise<boolean>;
  complete(customerId: string, key: string, update: LedgerUpdate): Promise<void>;
  /** Entries of one customer whose key starts with `prefix` (one campaign episode). */
  forCustomer(customerId: string, prefix: string): Promise<LedgerEntry[]>;
  /** Claims still `claimed` (SES outcome unknown) that were claimed at or before `claimedBefore`. */
  pendingClaims(claimedBefore: string): AsyncIterable<Page<LedgerEntry>>;
  /** Applies `update` only if the entry is still `claimed`; false if it was not (already resolved). */
  resolveClaim(customerId: string, key: string, update: LedgerUpdate): Promise<boolean>;
  /**
   * Sets `field` to `at` unless already set (first delivery/open/click/...); no-op if the entry is missing. Returns
   * the entry's status (undefined: no entry), so a caller writes again only when that status calls for it.
   */
  recordFirst(
    customerId: string,
    key: string,
    field: string,
    at: string,
    bounceType?: string,
  ): Promise<LedgerEntry['status'] | undefined>;
  /** One entry (strongly consistent), or undefined. */
  get(customerId: string, key: string): Promise<LedgerEntry | undefined>;
  /** The entries that exist among the given keys (batched reads). */
  getMany(keys: readonly { customerId: string; key: string }[]): Promise<LedgerEntry[]>;
  scanAll(): AsyncIterable<Page<LedgerEntry>>;
  deleteMany(keys: readonly { customerId: string; key: string }[]): Promise<void>;
}

/** Keyed hashes of erased ids and addresses with the erasure time (I3); in the snapshots table. */
export interface ErasureRegistry {
  record(entries: readonly ErasureEntry[]): Promise<void>;
  /** The entries among these hashes (batched reads). */
  find(hashes: readonly string[]): Promise<ErasureEntry[]>;
}

export interface Watermark {
  /** the as-of instant up to which the job has run successfully */
  asOf: string;
  /** hash of the settings the run used (e.g. the lifecycle policy); a change forces a full pass */
  settings: string;
}

export interface SnapshotStore {
  saveCohortReport(report: CohortReport): Promise<void>;
  loadCohortReport(asOf: string): Promise<CohortReport | undefined>;
  getWatermark(job: string): Promise<Watermark | undefined>;
  /** `undefined` clears it: the next run does a full pass (e.g. after a bulk import). */
  setWatermark(job: string, watermark: Watermark | undefined): Promise<void>;
  /** The predictive model in force (the last weekly fit, or the last good one kept), if any. */
  loadModel(): Promise<BaseModel | undefined>;
  saveModel(model: BaseModel): Promise<void>;
}

export interface OutgoingEmail {
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers?: { name: string; value: string }[];
  /** Tags for SES event destinations (campaign, step, customer id): never PII. */
  tags?: Record<string, string>;
}

/**
 * Sends one email. Resolves with the provider's message id once it accepted the email. Rejects with an
 * `EmailSendError` (email/send-error.ts) that the adapter has classified: refused for now (`transient`: the job
 * retries, then defers), refused for good (`permanent`), or no answer (`unknown`: never resent, left for
 * reconciliation). Any other rejection counts as `unknown`: nothing says the email did not leave.
 */
export interface EmailSender {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/** Where rendered report files go: a local folder in the CLI, S3 in Lambda. */
export interface ReportSink {
  write(name: string, body: string, contentType: string): Promise<string>;
}

/** Where planned win-back sends go: SQS in AWS (durable), straight to the sender in the local CLI. */
export interface WinbackTaskQueue {
  /** true when enqueued tasks outlive this process; the planner then leases the customer until the send is done */
  readonly durable: boolean;
  /** Enqueues the tasks; returns those that could not be enqueued (they stay due for the next run). */
  enqueue(tasks: readonly WinbackTask[]): Promise<WinbackTask[]>;
}

/** Progress of one segment of a full pass: where its scan got to and its partial result so far. */
export interface SegmentCheckpoint {
  segment: number;
  done: boolean;
  /** the scan cursor to resume from (absent when done) */
  cursor?: string;
  /** items read so far */
  scanned: number;
  /** the job's partial result (JSON), validated by the job that reads it */
  state: unknown;
}

/** Checkpoints of full-pass runs (a run: one job over every segment), so a segment resumes where it stopped. */
export interface SegmentRunStore {
  loadSegment(runId: string, segment: number): Promise<SegmentCheckpoint | undefined>;
  saveSegment(runId: string, checkpoint: SegmentCheckpoint): Promise<void>;
  loadSegments(runId: string): Promise<SegmentCheckpoint[]>;
}
