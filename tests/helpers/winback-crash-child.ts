/**
 * Runs the win-back job in a child process and kills it with SIGKILL right before, or right after, its k-th SES
 * call: a real crash, with nothing after it (no ledger update, no cleanup). Driven by tests/integration/crash.test.ts.
 */

import { dynamoStores } from '../../shared/adapters/build-adapters.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';
import { tableNames } from '../../shared/adapters/dynamodb/tables.ts';
import { sesClient, sesEmailSender } from '../../shared/adapters/ses/ses-email-sender.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../shared/domain/config.ts';
import { winbackEmail } from '../../shared/jobs/winback-email.ts';
import type { EmailSender } from '../../shared/ports.ts';
import { TEMPLATES } from './templates.ts';

const { DDB, SES, PREFIX, CRASH_AT, CRASH_WHEN, AS_OF, NOW } = process.env as Record<string, string>;
if (!DDB || !SES || !PREFIX || !AS_OF || !NOW) throw new Error('DDB, SES, PREFIX, AS_OF and NOW are required');
const stores = dynamoStores(documentClient({ endpoint: DDB }), tableNames(PREFIX), { indexShards: 4 });
const real = sesEmailSender(sesClient({ endpoint: SES }));
let calls = 0;
const crashing: EmailSender = {
  async send(email) {
    // The number of this call, fixed now: other sends in flight move the shared counter on meanwhile.
    const call = ++calls;
    if (call === Number(CRASH_AT) && CRASH_WHEN === 'before') process.kill(process.pid, 'SIGKILL');
    const result = await real.send(email);
    if (call === Number(CRASH_AT) && CRASH_WHEN === 'after') process.kill(process.pid, 'SIGKILL');
    return result;
  },
};
const summary = await winbackEmail(
  { customers: stores.customers, ledger: stores.ledger, email: crashing },
  {
    asOf: AS_OF,
    now: NOW,
    config: DEFAULT_ENGINE_CONFIG.winback,
    sending: { ...DEFAULT_ENGINE_CONFIG.sending, holdoutPercent: 0 },
    from: 'shop@example.com',
    templates: TEMPLATES,
    runId: 'crashing-run',
    maxSendRate: 1000,
    sendConcurrency: 3,
  },
);
// Reaching this line means the crash point was never hit: the test prints why.
process.stdout.write(
  `${JSON.stringify({ calls, steps: summary.steps, skipped: summary.skipped, candidates: summary.candidates })}\n`,
);
process.exit(0);
