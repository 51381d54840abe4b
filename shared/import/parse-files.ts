import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseCsvRecord } from 'csv-parse/sync';
import type * as z from 'zod';
import { describeIssues } from '../domain/common.ts';
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

/** Longest line accepted; a longer one is rejected, not buffered without bound. */
const MAX_RECORD_BYTES = 64 * 1024;

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
      yield { line: start, text: buffer.join('\n') };
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
  onRow?: () => void,
): Promise<Parsed<z.output<S>>> {
  const records: z.output<S>[] = [];
  const rejected: RejectedRow[] = [];
  let header: string[] | undefined;
  let lines = 0;
  for await (const record of csvRecords(path)) {
    if (header) {
      lines += 1;
      onRow?.();
    }
    if (record.error !== undefined || record.text === undefined) {
      rejected.push({ file: path, line: record.line, error: record.error ?? '(record): unreadable' });
      continue;
    }
    let fields: string[];
    try {
      fields = (parseCsvRecord(record.text, { relax_column_count: true, relax_quotes: true }) as string[][])[0] ?? [];
    } catch (error) {
      rejected.push({ file: path, line: record.line, error: `(record): ${(error as Error).message.split('\n')[0]}` });
      continue;
    }
    if (!header) {
      header = fields.map((h) => h.trim().toLowerCase());
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
    if (result.success) records.push(result.data);
    else rejected.push({ file: path, line: record.line, error: describeIssues(result.error) });
  }
  return { records, rejected, lines };
}

export function parseCustomersCsv(path: string, onRow?: () => void): Promise<Parsed<CustomerCsvRow>> {
  return parseCsv(path, CustomerCsvRowSchema, onRow);
}

export function parseOrdersCsv(path: string, onRow?: () => void): Promise<Parsed<OrderRecord>> {
  return parseCsv(path, OrderCsvRowSchema, onRow);
}

/**
 * CDNOW_master.txt. Several rows can share a customer and a day; each row is one transaction, so the order id is
 * `cdnow-<customer>-<date>-<n>` with n counting rows of that customer and day in file order (stable on re-import).
 */
export async function parseCdnow(path: string, onRow?: () => void): Promise<Parsed<OrderRecord>> {
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
    const dayKey = `${customerId}-${placedAt.slice(0, 10).replaceAll('-', '')}`;
    const n = (seen.get(dayKey) ?? 0) + 1;
    seen.set(dayKey, n);
    records.push({ orderId: `cdnow-${dayKey}-${n}`, customerId, placedAt, amountMinor, currency: 'USD' });
  }
  return { records, rejected, lines };
}
