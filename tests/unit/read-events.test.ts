import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLines, printRecordSummary, readEventsFile, summariseEventsFile } from '../../cli/read-events.ts';
import type { RecordActivitySummary } from '../../shared/jobs/record-activity.ts';

const event = (n: number) => JSON.stringify({ type: 'customer.signed_up', eventId: `e${n}`, customerId: `c${n}` });

describe('reading an events file (clientele record)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clientele-events-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the real file line of every event across blank lines', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${event(1)}\n\n   \n${event(2)}\r\n\n${event(3)}\n`);
    const read = await readEventsFile(path);
    expect(read.events.map((e) => (e as { eventId: string }).eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(read.lines).toEqual([1, 4, 6]);
    expect(read.received).toBe(3);
    expect(read.invalid).toEqual([]);
  });

  it('rejects a line that is not JSON with the file, the line and the parser message; the other lines go on', () => {
    const read = parseEventLines(
      'events.jsonl',
      `${event(1)}\n\n${event(2)}\n\n\n\n{"type": "order.placed",\n${event(3)}\n`,
    );
    expect(read.events).toHaveLength(3);
    expect(read.lines).toEqual([1, 3, 8]);
    expect(read.received).toBe(4);
    expect(read.invalid).toEqual([
      { index: 2, file: 'events.jsonl', line: 7, error: expect.stringMatching(/^not valid JSON \(.+\)$/) },
    ]);
    // The parser's own message, not a complaint about a missing discriminator.
    expect(read.invalid[0]?.error).not.toMatch(/type|discriminator/i);
  });

  it('accepts a byte-order mark before the first event', () => {
    const read = parseEventLines('events.jsonl', `\uFEFF${event(1)}\n`);
    expect(read.invalid).toEqual([]);
    expect(read.lines).toEqual([1]);
  });

  it('maps recordActivity indexes back to file lines and counts invalid JSON as received and rejected', () => {
    const read = parseEventLines('events.jsonl', `${event(1)}\n\nnot json\n${event(2)}\n\n${event(3)}\n${event(4)}\n`);
    expect(read.lines).toEqual([1, 4, 6, 7]);
    const activity = {
      received: 4,
      applied: 2,
      duplicates: 0,
      conflicts: 0,
      createdCustomers: 2,
      rejected: [{ index: 2, eventId: 'e3', error: 'email: must be a valid email address' }],
      failed: [{ index: 1, eventId: 'e2', error: 'throttled' }],
    } as RecordActivitySummary;
    const summary = summariseEventsFile(read, activity);
    expect(summary).toEqual({
      received: 5,
      applied: 2,
      duplicates: 0,
      conflicts: 0,
      createdCustomers: 2,
      rejected: [
        { index: 1, file: 'events.jsonl', line: 3, error: expect.stringMatching(/^not valid JSON \(/) },
        { index: 3, file: 'events.jsonl', line: 6, eventId: 'e3', error: 'email: must be a valid email address' },
      ],
      failed: [{ index: 2, file: 'events.jsonl', line: 4, eventId: 'e2', error: 'throttled' }],
    });
    const text = printRecordSummary(summary);
    expect(text.split('\n')).toEqual([
      'Events 5: applied 2, duplicates 0, rejected 2, failed 1',
      expect.stringMatching(/^ {2}events\.jsonl:3: not valid JSON \(/),
      '  events.jsonl:6: email: must be a valid email address',
      '  events.jsonl:4: failed: throttled',
    ]);
  });
});
