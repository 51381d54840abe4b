import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsvRecord } from 'csv-parse/sync';
import type * as z from 'zod';
import { describeIssues, errorMessage, futureInstantError } from '../domain/common.ts';
import {
  CdnowRowSchema,
  type CustomerCsvRow,
  CustomerCsvRowSchema,
  OrderCsvRowSchema,
  type OrderRecord,
} from './rows.ts';

/** A rejected input row: the file, the 1-based line and what is wrong, field by field. */
export interface RejectedRow {
  file: string;
  line: number;
  error: string;
}

export interface Parsed<T> {
  records: T[];
  rejected: RejectedRow[];
  lines: number;
}

export interface ParseOptions {
  /** the import's wall clock (ISO instant): an input instant more than 24 h after it is rejected (I5) */
  now: string;
  /** called once per data row read (progress) */
  onRow?: () => void;
}

/** Longest line accepted; a longer one is rejected, not buffered without bound. */
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * Files are read as UTF-8; bytes that are not UTF-8 (a Latin-1 or Windows-1252 export: `é` as 0xE9) decode to
 * U+FFFD. Such a record is rejected rather than stored with replacement characters in names and addresses.
 */
const NOT_UTF8 = '(record): not valid UTF-8 (save the file as UTF-8)';
const isNotUtf8 = (text: string) => text.includes('\uFFFD');

function assertInstant(now: string): void {
  if (Number.isNaN(Date.parse(now))) throw new Error(`import: now must be an ISO-8601 instant, got ${now}`);
}

/** `field: message` for every instant of a valid row that lies more than 24 h after `now` (I5). */
function futureFields(fields: Record<string, string | undefined>, now: string): string | undefined {
  const errors = Object.entries(fields).flatMap(([field, value]) => {
    const error = futureInstantError(value, now);
    return error ? [`${field}: ${error}`] : [];
  });
  return errors.length ? errors.join('; ') : undefined;
}

/**
 * Logical CSV records with the line each starts on. Physical lines are joined while a quoted field is open (an odd
 * number of `"` so far), so a quoted field may span lines; a record longer than MAX_RECORD_BYTES, or one still open
 * at the end of the file, is rejected on its own and reading resumes at the next line. Splitting here rather than
 * inside the CSV parser keeps one bad record (an oversized field, a stray quote) from swallowing the rows after
 * it, and keeps line numbers exact. Each record is then parsed by csv-parse.
 */
async function* csvRecords(path: string): AsyncGenerator<{ line: number; text?: string; error?: string }> {
  const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let buffer: string[] = [];
  let start = 0;
  let inQuotes = false;
  let size = 0;
  let lineNo = 0;
  for await (const rawLine of reader) {
    lineNo += 1;
    const line = lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
    if (buffer.length === 0) {
      if (line.trim() === '') continue;
      start = lineNo;
    }
    buffer.push(line);
    size += line.length + 1;
    inQuotes = stillQuoted(line, inQuotes);
    if (size > MAX_RECORD_BYTES) {
      yield { line: start, error: `(record): longer than ${MAX_RECORD_BYTES} bytes` };
      buffer = [];
      inQuotes = false;
      size = 0;
      continue;
    }
    if (!inQuotes) {
      const text = buffer.join('\n');
      yield isNotUtf8(text) ? { line: start, error: NOT_UTF8 } : { line: start, text };
      buffer = [];
      size = 0;
    }
  }
  if (buffer.length) yield { line: start, error: '(record): quoted field not closed before the end of the file' };
}

/**
 * Whether a quoted field is still open at the end of `line`. RFC 4180: a quote opens a quoted field only at the
 * start of a field; inside, `""` is a literal quote and a single `"` closes it. Quotes inside unquoted fields are
 * literal (and left to validation), so they never make the splitter swallow the following lines.
 */
function stillQuoted(line: string, open: boolean): boolean {
  let inQuotes = open;
  let fieldStart = !open;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch === '"') {
        if (line[i + 1] === '"') i++;
        else inQuotes = false;
      }
    } else if (ch === '"' && fieldStart) inQuotes = true;
    fieldStart = !inQuotes && ch === ',';
  }
  return inQuotes;
}

async function parseCsv<S extends z.ZodType>(
  path: string,
  schema: S,
  /** the instants of a valid row, by CSV column name, checked against `now` */
  instants: (record: z.output<S>) => Record<string, string | undefined>,
  { now, onRow }: ParseOptions,
): Promise<Parsed<z.output<S>>> {
  assertInstant(now);
  const records: z.output<S>[] = [];
  const rejected: RejectedRow[] = [];
  let header: string[] | undefined;
  let lines = 0;
  for await (const record of csvRecords(path)) {
    if (header) {
      lines += 1;
      onRow?.();
    }
    let error = record.error;
    let fields: string[] = [];
    if (error === undefined) {
      if (record.text === undefined) error = '(record): unreadable';
      else {
        try {
          fields = parseCsvRecord(record.text, { relax_column_count: true, relax_quotes: true })[0] ?? [];
        } catch (parseError) {
          error = `(record): ${errorMessage(parseError).split('\n')[0]}`;
        }
      }
    }
    if (!header) {
      // Without a readable, unambiguous header no row can be read: one rejection for the header, no records.
      const names = fields.map((h) => h.trim().toLowerCase());
      const twice = names.find((name, i) => names.indexOf(name) !== i);
      if (error !== undefined) error = error.replace(/^\(record\)/, '(header)');
      else if (twice !== undefined) error = `(header): column "${twice}" appears twice`;
      if (error !== undefined) return { records: [], rejected: [{ file: path, line: record.line, error }], lines };
      header = names;
      continue;
    }
    if (error !== undefined) {
      rejected.push({ file: path, line: record.line, error });
      continue;
    }
    // More fields than the header: a value with an unquoted comma (e.g. 12,50) or a shifted row. Fewer: the
    // missing trailing fields are empty, and validation names any that are required.
    if (fields.length > header.length) {
      rejected.push({
        file: path,
        line: record.line,
        error: `(record): ${fields.length} fields but the header has ${header.length} (an unquoted comma in a value?)`,
      });
      continue;
    }
    const row = Object.fromEntries(header.map((name, i) => [name, fields[i] ?? '']));
    const result = schema.safeParse(row);
    const future = result.success ? futureFields(instants(result.data), now) : undefined;
    if (!result.success) rejected.push({ file: path, line: record.line, error: describeIssues(result.error) });
    else if (future !== undefined) rejected.push({ file: path, line: record.line, error: future });
    else records.push(result.data);
  }
  return { records, rejected, lines };
}

export function parseCustomersCsv(path: string, options: ParseOptions): Promise<Parsed<CustomerCsvRow>> {
  return parseCsv(
    path,
    CustomerCsvRowSchema,
    (r) => ({ signed_up_at: r.signed_up_at, consent_at: r.consent_at }),
    options,
  );
}

export function parseOrdersCsv(path: string, options: ParseOptions): Promise<Parsed<OrderRecord>> {
  return parseCsv(path, OrderCsvRowSchema, (r) => ({ placed_at: r.placedAt }), options);
}

/**
 * CDNOW_master.txt. Several rows can share a customer and a day; each row is one transaction, so the order id is
 * `cdnow-<customer>-<date>-<n>` with n counting rows of that customer and day in file order (stable on re-import).
 */
export async function parseCdnow(path: string, { now, onRow }: ParseOptions): Promise<Parsed<OrderRecord>> {
  assertInstant(now);
  const records: OrderRecord[] = [];
  const rejected: RejectedRow[] = [];
  const seen = new Map<string, number>();
  let lineNo = 0;
  let lines = 0;
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of reader) {
    lineNo += 1;
    const line = raw.trim();
    if (line === '' || (lineNo === 1 && /customer_id/i.test(line))) continue;
    lines += 1;
    onRow?.();
    if (line.length > MAX_RECORD_BYTES) {
      rejected.push({ file: path, line: lineNo, error: `(record): longer than ${MAX_RECORD_BYTES} bytes` });
      continue;
    }
    if (isNotUtf8(line)) {
      rejected.push({ file: path, line: lineNo, error: NOT_UTF8 });
      continue;
    }
    const fields = line.split(/\s+/);
    const result = CdnowRowSchema.safeParse(fields);
    if (!result.success) {
      const names = ['customer_id', 'date', 'number_of_cds', 'dollar_value'];
      const error = result.error.issues
        .map((i) => `${typeof i.path[0] === 'number' ? names[i.path[0]] : '(record)'}: ${i.message}`)
        .join('; ');
      rejected.push({ file: path, line: lineNo, error });
      continue;
    }
    const { customerId, placedAt, amountMinor } = result.data;
    const future = futureFields({ date: placedAt }, now);
    if (future !== undefined) {
      rejected.push({ file: path, line: lineNo, error: future });
      continue;
    }
    const dayKey = `${customerId}-${placedAt.slice(0, 10).replaceAll('-', '')}`;
    const n = (seen.get(dayKey) ?? 0) + 1;
    seen.set(dayKey, n);
    records.push({ orderId: `cdnow-${dayKey}-${n}`, customerId, placedAt, amountMinor, currency: 'USD' });
  }
  return { records, rejected, lines };
}
