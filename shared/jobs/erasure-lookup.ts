import { type ErasureEntry, erasureLookups } from '../domain/erasure.ts';
import type { ErasureRegistry } from '../ports.ts';

/** The erasures of each candidate's id and address, by customer id (one batched read for all candidates). */
export async function erasuresByCustomer(
  erasures: { registry: ErasureRegistry; key: string },
  candidates: readonly { customerId: string; email?: string | undefined }[],
): Promise<Map<string, ErasureEntry[]>> {
  const byCustomer = new Map<string, ErasureEntry[]>();
  const lookups = candidates.map((c) => [c.customerId, erasureLookups(erasures.key, c.customerId, c.email)] as const);
  if (lookups.length === 0) return byCustomer;
  const found = new Map((await erasures.registry.find(lookups.flatMap(([, h]) => h))).map((e) => [e.hash, e]));
  for (const [id, hashes] of lookups) {
    const entries = hashes.map((h) => found.get(h)).filter((e) => e !== undefined);
    if (entries.length) byCustomer.set(id, entries);
  }
  return byCustomer;
}
