/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/**
 * Spaces calls evenly so no more than `perSecond` start in any second, shared by all concurrent senders.
 * Hand-written because it is ten lines; a token-bucket library would add a dependency to every bundle.
 */
export function pacer(perSecond: number, now: () => number = Date.now) {
  const interval = 1000 / perSecond;
  let nextSlot = 0;
  return async function wait(): Promise<void> {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + interval;
    if (slot > t) await new Promise((resolve) => setTimeout(resolve, slot - t));
  };
}
