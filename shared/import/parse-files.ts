import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
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

async function parseCsv<S extends z.ZodType>(
  path: string,
  schema: S,
  onRow?: () => void,
): Promise<Parsed<z.output<S>>> {
  const records: z.output<S>[] = [];
  const rejected: RejectedRow[] = [];
  let lines = 0;
  const parser = createReadStream(path).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      max_record_size: MAX_RECORD_BYTES,
      skip_records_with_error: true,
    }),
  );
  parser.on('skip', (error: Error & { lines?: number }) => {
    rejected.push({ file: path, line: error.lines ?? 0, error: `(record): ${error.message}` });
  });
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    lines += 1;
    onRow?.();
    const result = schema.safeParse(record);
    if (result.success) records.push(result.data);
    else rejected.push({ file: path, line: info.lines, error: describeIssues(result.error) });
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
