/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  // One iterator shared by the workers: each takes the next item when it is free.
  const pending = items.values();
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    for (let next = pending.next(); !next.done; next = pending.next()) await work(next.value);
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

/**
 * A bounded work pool: `submit` returns as soon as the job is queued and waits only while `maxQueued` jobs are
 * already waiting, so a producer (the win-back planner reading its next page) keeps `concurrency` workers busy
 * without buffering everything. The first failure is rethrown by the next `submit` or by `drain`.
 */
export function workPool(concurrency: number, maxQueued: number) {
  const queue: (() => Promise<void>)[] = [];
  const spaceWaiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let active = 0;
  let failure: { error: unknown } | undefined;
  const pump = () => {
    while (active < concurrency) {
      const job = queue.shift();
      if (!job) return;
      active += 1;
      spaceWaiters.shift()?.();
      job()
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          active -= 1;
          pump();
          if (active === 0 && queue.length === 0) {
            for (const resolve of idleWaiters) resolve();
            idleWaiters = [];
          }
        });
    }
  };
  return {
    async submit(job: () => Promise<void>): Promise<void> {
      if (failure) throw failure.error;
      while (queue.length >= maxQueued) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
      queue.push(job);
      pump();
    },
    async drain(): Promise<void> {
      if (active > 0 || queue.length > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (failure) throw failure.error;
    },
  };
}

/** A value built on first use and shared after it (e.g. per Lambda container); a failed build is tried again next time. */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
