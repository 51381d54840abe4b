import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../cli/local-servers.ts';
import { documentClient } from '../../shared/adapters/dynamodb/client.ts';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const CDNOW = join(ROOT, 'data/cdnow/CDNOW_master.txt');

let dir: string;
const clientele = async (...args: string[]) => {
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'bin/clientele.js'), '--data-dir', join(dir, 'db'), ...args],
    {
      cwd: dir,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
};

/** Runs the CLI on its own data directory and returns its exit code instead of throwing. */
const clienteleInDir = async (dataDir: string, ...args: string[]) =>
  new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/clientele.js'), '--data-dir', dataDir, ...args],
      { cwd: dir, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? Number(error.code ?? 1) : 0 }),
    );
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clientele-cli-'));
  // The first 3,001 lines of CDNOW: a real slice, quick to import.
  const lines = (await readFile(CDNOW, 'utf8')).split('\n').slice(0, 3001);
  await writeFile(join(dir, 'cdnow.txt'), `${lines.join('\n')}\nnot a valid row\n`);
});

describe('the clientele CLI', () => {
  it('imports CDNOW, then later commands see the data and answer in JSON', { timeout: 180_000 }, async () => {
    const imported = JSON.parse(await clientele('--json', 'import', '--format', 'cdnow', join(dir, 'cdnow.txt')));
    expect(imported.rowsAccepted).toBe(3000);
    expect(imported.rowsRejected).toBe(1);
    expect(imported.rejected[0].line).toBe(3002);
    expect(imported.rejected[0].error).toMatch(/customer_id|date/);

    const again = JSON.parse(await clientele('--json', 'import', '--format', 'cdnow', join(dir, 'cdnow.txt')));
    expect(again.import.alreadyImported).toBe(again.import.customers);
    expect(again.import.ordersApplied).toBe(0);

    const cohorts = JSON.parse(
      await clientele('--json', 'cohorts', '--as-of', '1998-06-30', '--out', join(dir, 'out')),
    );
    expect(cohorts.asOf).toBe('1998-06-30T23:59:59.999Z');
    expect(cohorts.cohorts[0].cohort).toBe('1997-01');
    expect(cohorts.cohorts.reduce((a: number, c: { size: number }) => a + c.size, 0)).toBe(imported.import.customers);
    expect(await readFile(join(dir, 'out', 'report.html'), 'utf8')).toContain('1997-01');

    // The same run id resumes the stored segment checkpoints (all done): the same table, one segment at a time.
    const resumed = JSON.parse(
      await clientele(
        '--json',
        'cohorts',
        '--as-of',
        '1998-06-30',
        '--out',
        join(dir, 'out2'),
        '--parallelism',
        '1',
        '--run-id',
        'cli-run-1',
      ),
    );
    const rerun = JSON.parse(
      await clientele(
        '--json',
        'cohorts',
        '--as-of',
        '1998-06-30',
        '--out',
        join(dir, 'out3'),
        '--run-id',
        'cli-run-1',
      ),
    );
    const table = (r: { cohorts: unknown[]; generatedAt: string }) => r.cohorts;
    expect(table(resumed)).toEqual(table(cohorts));
    expect(table(rerun)).toEqual(table(cohorts));

    const flagged = JSON.parse(await clientele('--json', 'flag', '--as-of', '1998-06-30', '--parallelism', '2'));
    expect(flagged.scanned).toBe(imported.import.customers);
    expect(flagged.mode).toBe('full');

    // CDNOW has no addresses or consent: nobody may be emailed.
    const dry = JSON.parse(await clientele('--json', 'winback', '--dry-run', '--as-of', '1998-06-30'));
    expect(dry.dryRun).toBe(true);
    expect(dry.steps['miss-you'].due).toBe(0);
    expect(dry.skipped['no-consent']).toBeGreaterThan(0);
  });

  it('record reports every rejected event by file and real line, blank lines and invalid JSON included', {
    timeout: 60_000,
  }, async () => {
    const signup = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        type: 'customer.signed_up',
        eventId: `rec-${id}`,
        customerId: id,
        occurredAt: '2026-01-05T10:00:00Z',
        ...extra,
      });
    const path = join(dir, 'events.jsonl');
    await writeFile(
      path,
      [
        signup('rec1'), // 1
        '', // 2
        '', // 3
        signup('rec2', { email: 'not-an-address' }), // 4
        '   ', // 5
        signup('rec3'), // 6
        '{"type": "order.placed", "eventId": ', // 7
        signup('rec4'), // 8
      ].join('\n'),
    );
    const { stdout, code } = await clienteleInDir(join(dir, 'record-db'), '--json', 'record', path);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ received: 5, applied: 3, duplicates: 0, createdCustomers: 3, failed: [] });
    expect(summary.rejected).toEqual([
      { index: 1, file: path, line: 4, eventId: 'rec-rec2', error: expect.stringMatching(/^email: /) },
      { index: 3, file: path, line: 7, error: expect.stringMatching(/^not valid JSON \(.+\)$/) },
    ]);
    const text = (await clienteleInDir(join(dir, 'record-db'), 'record', path)).stdout;
    expect(text).toContain('rejected 2');
    expect(text).toContain(`${path}:4: email: `);
    expect(text).toMatch(new RegExp(`${path.replaceAll('.', '\\.')}:7: not valid JSON \\(`));
  });

  it('refuses at once to open a data directory another live command holds', { timeout: 60_000 }, async () => {
    const dataDir = join(dir, 'locked-db');
    await mkdir(dataDir, { recursive: true });
    // This test process stands in for a running clientele command.
    await writeFile(join(dataDir, 'lock'), `${process.pid}\n`);
    const busy = await clienteleInDir(dataDir, '--json', 'flag', '--as-of', '1998-06-30');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(
      `data directory ${dataDir} is in use by another clientele command (pid ${process.pid}); wait for it or use --data-dir`,
    );
    expect(busy.stderr).not.toContain('ECONNREFUSED');
    // A lock left by a process that is gone is stale: taken over, and released when the command ends.
    await writeFile(join(dataDir, 'lock'), '999999999\n');
    const after = await clienteleInDir(dataDir, '--json', 'flag', '--as-of', '1998-06-30');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).scanned).toBe(0);
    await expect(readFile(join(dataDir, 'lock'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('check reports a violation with its key and exits 1, --repair fixes it, then exits 0', {
    timeout: 90_000,
  }, async () => {
    const db = await startDynalite();
    try {
      const endpoint = ['--dynamodb-endpoint', db.endpoint, '--table-prefix', 'chk'];
      const orders = join(dir, 'check-orders.csv');
      await writeFile(
        orders,
        'order_id,customer_id,placed_at,amount,currency\no1,k1,2026-01-05,10.00,USD\no2,k1,2026-02-05,2.50,USD\n',
      );
      const dataDir = join(dir, 'check-db');
      expect((await clienteleInDir(dataDir, ...endpoint, 'import', '--orders', orders)).code).toBe(0);
      const clean = await clienteleInDir(dataDir, ...endpoint, '--json', 'check');
      expect(clean.code).toBe(0);
      expect(JSON.parse(clean.stdout)).toMatchObject({ customers: 1, orders: 2, violations: [] });
      // An order written behind the engine's back: k1's totals no longer match its stored orders (I1).
      const client = documentClient({ endpoint: db.endpoint });
      await client.send(
        new PutCommand({
          TableName: 'chk-orders',
          Item: {
            customerId: 'k1',
            orderId: 'o3',
            placedAt: '2026-03-01T00:00:00.000Z',
            amountMinor: 99,
            currency: 'USD',
          },
        }),
      );
      client.destroy();
      const broken = await clienteleInDir(dataDir, ...endpoint, 'check');
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/I1\s+customer k1: orderCount 2, orders stored 3/);
      const repaired = await clienteleInDir(dataDir, ...endpoint, 'check', '--repair');
      expect(repaired.code).toBe(0);
      expect(repaired.stdout).toContain('[repaired]');
      const after = await clienteleInDir(dataDir, ...endpoint, '--json', 'check');
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout).violations).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('explains every command and option in --help', async () => {
    const help = await clientele('--help');
    for (const word of [
      'demo',
      'import',
      'flag',
      'cohorts',
      'winback',
      'check',
      '--dynamodb-endpoint',
      '--ses-endpoint',
      '--json',
    ]) {
      expect(help).toContain(word);
    }
    const winbackHelp = await clientele('winback', '--help');
    expect(winbackHelp).toContain('--dry-run');
    expect(winbackHelp).toContain('--as-of');
  });
});

describe('clientele templates', () => {
  it('lints, previews every template × locale with an index, and test-sends to the local inbox', {
    timeout: 120_000,
  }, async () => {
    const lint = JSON.parse(await clientele('--json', 'templates', 'lint'));
    expect(lint.errors).toBe(0);
    expect(lint.variants).toBe(27);
    expect(lint.largestHtml.bytes).toBeLessThan(100 * 1024);

    const out = join(dir, 'preview');
    const preview = JSON.parse(await clientele('--json', 'templates', 'preview', '--out', out));
    expect(preview.entries).toHaveLength(27);
    const index = await readFile(join(out, 'index.html'), 'utf8');
    for (const locale of ['en', 'de', 'da', 'nb', 'ko', 'ru', 'fr', 'es', 'nl']) {
      expect(index).toContain(`offer/${locale}.html`);
      expect(await readFile(join(out, 'offer', `${locale}.txt`), 'utf8')).toMatch(/^Subject: .+\n\n/);
    }
    expect(await readFile(join(out, 'miss-you', 'ko.html'), 'utf8')).toContain('<html lang="ko"');

    // --locale goes through the customer fallback chain: nb-NO gets the nb variant
    const sent = JSON.parse(
      await clientele(
        '--json',
        'templates',
        'send-test',
        '--to',
        'team@example.com',
        '--template',
        'offer',
        '--locale',
        'nb-NO',
      ),
    );
    expect(sent.sent).toEqual([{ templateId: 'offer', locale: 'nb', messageId: expect.any(String) }]);
  });

  it('fails lint with exit 1 and the file named when a template uses an unknown variable', {
    timeout: 60_000,
  }, async () => {
    const own = join(dir, 'own-templates');
    await cp(join(ROOT, 'templates'), own, { recursive: true });
    const file = join(own, 'de', 'offer.mjml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('{{ offer_code }}', '{{ offer_kode }}'));
    const result = await clienteleInDir(join(dir, 'db-lint'), '--templates-dir', own, 'templates', 'lint');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/de\/offer\.mjml: error: .*unknown variable "offer_kode"/);
  });
});
