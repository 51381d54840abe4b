/**
 * The CDNOW transaction files (Fader, Hardie & Lee 2005; redistributed by the MIT-licensed `lifetimes`):
 *  - `cdnow-sample` (CDNOW_sample.txt): `master_id sample_id yyyymmdd cds dollars`, no header; the customer is the
 *    sample id (1..2357), written without its leading zeros ("0001" → "1") as in cdnow_customers_summary.csv;
 *  - `cdnow` (CDNOW_master.txt): `customer_id yyyymmdd cds dollars` with a header line.
 * Pure text → transactions; reading the file is the caller's business.
 */
import { dayNumber, type Transaction } from './customer-summary.ts';

export const CDNOW_FORMATS = ['cdnow-sample', 'cdnow'] as const;
export type CdnowFormat = (typeof CDNOW_FORMATS)[number];

export interface ParsedTransactions {
  transactions: Transaction[];
  rejected: { line: number; error: string }[];
}

export function parseCdnowTransactions(text: string, format: CdnowFormat): ParsedTransactions {
  const transactions: Transaction[] = [];
  const rejected: ParsedTransactions['rejected'] = [];
  const fieldsWanted = format === 'cdnow-sample' ? 5 : 4;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || (format === 'cdnow' && index === 0 && /customer/i.test(line))) return;
    const fields = line.split(/\s+/);
    const [id, date, , dollars] = format === 'cdnow-sample' ? fields.slice(1) : fields;
    const amount = Number(dollars);
    if (fields.length !== fieldsWanted || !id || !/^\d+$/.test(id)) {
      rejected.push({
        line: index + 1,
        error: `expected ${fieldsWanted} whitespace-separated fields with a numeric id`,
      });
    } else if (!date || !/^\d{8}$/.test(date) || !isCalendarDay(date)) {
      rejected.push({ line: index + 1, error: 'date must be YYYYMMDD' });
    } else if (!Number.isFinite(amount) || amount < 0) {
      rejected.push({ line: index + 1, error: 'dollar value must be a non-negative number' });
    } else {
      transactions.push({
        customerId: String(Number(id)),
        day: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`,
        amount,
      });
    }
  });
  return { transactions, rejected };
}

function isCalendarDay(yyyymmdd: string): boolean {
  try {
    dayNumber(`${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`);
    return true;
  } catch {
    return false;
  }
}
