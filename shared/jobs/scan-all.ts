import type { Customer } from '../domain/customer.ts';
import type { CustomerRepository, InvalidItem } from '../ports.ts';

export interface ScanProgress {
  /** called after every page with the number of items on it */
  onPage?: (items: number) => void;
}

/**
 * Runs `visit` over every customer using `totalSegments` parallel scan segments, the same split the AWS
 * fan-out uses per worker. Invalid items are collected, never thrown.
 */
export async function forEachCustomerSegment(
  customers: CustomerRepository,
  totalSegments: number,
  visitPage: (page: Customer[], segment: number) => Promise<void>,
  progress: ScanProgress = {},
): Promise<{ scanned: number; invalid: InvalidItem[] }> {
  let scanned = 0;
  const invalid: InvalidItem[] = [];
  await Promise.all(
    Array.from({ length: totalSegments }, async (_, segment) => {
      for await (const page of customers.scan({ segment, totalSegments })) {
        scanned += page.items.length + page.invalid.length;
        invalid.push(...page.invalid);
        await visitPage(page.items, segment);
        progress.onPage?.(page.items.length + page.invalid.length);
      }
    }),
  );
  return { scanned, invalid };
}
