import { type Command, Option } from 'commander';
import { eraseCustomer, exportCustomer } from '../shared/jobs/privacy.ts';
import { reconcileClaims } from '../shared/jobs/reconcile-claims.ts';
import { positiveNumber } from './args.ts';
import { printCheck, runCheck } from './commands.ts';
import { erasureKeyFor } from './erasure-key.ts';
import type { Progress } from './progress.ts';
import { type GlobalOptions, openRuntime } from './runtime.ts';

/** What every command needs from the program: its global options, output and progress bars. */
export interface CommandContext {
  globals: () => GlobalOptions;
  emit: (json: unknown, text: string) => void;
  bars: () => Progress;
}

/** The commands that look after the data itself: access and erasure requests, the invariants, unknown sends. */
export function registerDataCommands(program: Command, { globals, emit, bars }: CommandContext): void {
  program
    .command('export')
    .description('print everything held about one customer as JSON (data-subject access request)')
    .argument('<customerId>', 'the customer id')
    .action(async (customerId: string) => {
      const rt = await openRuntime(globals());
      try {
        process.stdout.write(`${JSON.stringify(await exportCustomer(rt.stores, customerId), null, 2)}\n`);
      } finally {
        await rt.close();
      }
    });

  program
    .command('erase')
    .description(
      'erase a customer: orders and sends deleted, profile replaced by an anonymous tombstone (aggregates, address hash)',
    )
    .argument('<customerId>', 'the customer id')
    .action(async (customerId: string) => {
      const rt = await openRuntime(globals());
      try {
        const summary = await eraseCustomer(
          { ...rt.stores, erasureKey: await erasureKeyFor(globals()) },
          customerId,
          new Date().toISOString(),
        );
        emit(
          summary,
          summary.found
            ? `Erased customer ${customerId}: ${summary.ordersDeleted} orders and ${summary.ledgerEntriesDeleted} send records deleted; anonymous tombstone ${summary.tombstoneId} keeps aggregates and the keyed address hash (suppressed).`
            : `No customer ${customerId}; ${summary.ordersDeleted} orders and ${summary.ledgerEntriesDeleted} send records deleted.`,
        );
      } finally {
        await rt.close();
      }
    });

  program
    .command('check')
    .description(
      'verify the data invariants (order totals, consent after erasure, classification, future instants) and index consistency; exit 1 on any violation',
    )
    .option('--repair', 'fix what can be derived from stored orders and erasures (conditional writes)')
    .action(async (o) => {
      const g = globals();
      const rt = await openRuntime(g);
      try {
        // Read-only unless --repair; without the deployed secret in AWS, erasure checks (I3) are skipped.
        const erasureKey = g.aws && !process.env.CLIENTELE_UNSUBSCRIBE_SECRET ? undefined : await erasureKeyFor(g);
        const summary = await runCheck(rt, { repair: Boolean(o.repair), erasureKey }, bars());
        emit(summary, printCheck(summary));
        if (summary.violations.some((v) => !v.repaired)) process.exitCode = 1;
      } finally {
        await rt.close();
      }
    });

  program
    .command('reconcile')
    .description('list win-back sends whose SES outcome is unknown (the run died or timed out around the SES call)')
    .addOption(
      new Option(
        '--release-older-than-hours <n>',
        'release claims older than this so the step can be sent again; only safe where SES Send events resolve accepted sends',
      ).argParser(positiveNumber),
    )
    .action(async (o) => {
      const rt = await openRuntime(globals());
      try {
        const summary = await reconcileClaims(rt.stores, {
          now: new Date().toISOString(),
          graceHours: o.releaseOlderThanHours ?? 0,
          release: o.releaseOlderThanHours !== undefined,
        });
        emit(
          summary,
          `Claims with unknown outcome: ${summary.waiting} listed, ${summary.released} released` +
            summary.pending
              .slice(0, 50)
              .map(
                (p) => `\n  customer ${p.customerId} ${p.key} claimed ${p.claimedAt}${p.error ? ` (${p.error})` : ''}`,
              )
              .join(''),
        );
      } finally {
        await rt.close();
      }
    });
}
