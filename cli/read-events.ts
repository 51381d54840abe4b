import { readFile } from 'node:fs/promises';
import { errorMessage } from '../shared/domain/common.ts';
import type { RecordActivitySummary } from '../shared/jobs/record-activity.ts';

/** A rejected event line: the file, its 1-based line in the file and what is wrong. */
export interface RejectedEventLine {
  /** position among the file's non-blank lines, as recordActivity's `index` (0-based) */
  index: number;
  file: string;
  line: number;
  eventId?: string;
  error: string;
}

export interface EventsFile {
  file: string;
  /** the parsed events, in file order, for recordActivity */
  events: unknown[];
  /** lines[i]: the 1-based file line of events[i] */
  lines: number[];
  /** ordinals[i]: the position of events[i] among the non-blank lines */
  ordinals: number[];
  /** lines that are not JSON */
  invalid: RejectedEventLine[];
  /** non-blank lines read (events + invalid) */
  received: number;
}

/**
 * Splits a JSON-lines file into events, keeping each one's real line number (blank lines are skipped but still
 * counted). A line that is not JSON is rejected with the parser's message and never reaches validation.
 */
export function parseEventLines(file: string, text: string): EventsFile {
  const result: EventsFile = { file, events: [], lines: [], ordinals: [], invalid: [], received: 0 };
  text.split('\n').forEach((raw, i) => {
    const line = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') return;
    const index = result.received;
    result.received += 1;
    try {
      const event: unknown = JSON.parse(line); // validated by recordActivity
      result.events.push(event);
      result.lines.push(i + 1);
      result.ordinals.push(index);
    } catch (error) {
      result.invalid.push({ index, file, line: i + 1, error: `not valid JSON (${errorMessage(error)})` });
    }
  });
  return result;
}

export async function readEventsFile(file: string): Promise<EventsFile> {
  return parseEventLines(file, await readFile(file, 'utf8'));
}

/** recordActivity's summary with every rejection and failure named by file and line (not by event index). */
export interface RecordFileSummary extends Omit<RecordActivitySummary, 'rejected' | 'failed'> {
  rejected: RejectedEventLine[];
  failed: RejectedEventLine[];
}

/** Maps recordActivity's event indexes back to file lines and adds the lines that were not JSON. */
export function summariseEventsFile(read: EventsFile, summary: RecordActivitySummary): RecordFileSummary {
  const located = (entries: RecordActivitySummary['rejected']): RejectedEventLine[] =>
    entries.map(({ index, eventId, error }) => ({
      index: read.ordinals[index] ?? index,
      file: read.file,
      line: read.lines[index] ?? 0,
      ...(eventId !== undefined ? { eventId } : {}),
      error,
    }));
  const byLine = (a: RejectedEventLine, b: RejectedEventLine) => a.line - b.line;
  return {
    ...summary,
    received: read.received,
    rejected: [...read.invalid, ...located(summary.rejected)].sort(byLine),
    failed: located(summary.failed).sort(byLine),
  };
}

/** `Events N: applied ...` plus one `file:line: error` line per rejected or failed event. */
export function printRecordSummary(summary: RecordFileSummary): string {
  const line = (kind: string) => (r: RejectedEventLine) => `\n  ${r.file}:${r.line}: ${kind}${r.error}`;
  return (
    `Events ${summary.received}: applied ${summary.applied}, duplicates ${summary.duplicates}, rejected ${summary.rejected.length}, failed ${summary.failed.length}` +
    summary.rejected.map(line('')).join('') +
    summary.failed.map(line('failed: ')).join('')
  );
}
