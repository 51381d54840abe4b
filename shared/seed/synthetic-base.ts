import { DAY_MS } from '../domain/time.ts';
import type { CustomerCsvRow, OrderRecord } from '../import/rows.ts';

/**
 * A deterministic synthetic customer base whose behaviour mixes the kinds of customers in our source material:
 * loyal repeat buyers, one-off transactional buyers, subscription-like regulars, a few big-spending "tall"
 * accounts, prospects who never buy, and customers who buy for a while and then drift away.
 * Same seed, size and end date → the same base, byte for byte.
 */
export type Archetype = 'loyal' | 'transactional' | 'subscription' | 'tall' | 'prospect' | 'drifter';

const MIX: [Archetype, number][] = [
  ['loyal', 0.14],
  ['transactional', 0.3],
  ['subscription', 0.1],
  ['tall', 0.02],
  ['prospect', 0.16],
  ['drifter', 0.28],
];

/** [locale, time zone] and its share. */
const LOCALES: [[string, string], number][] = [
  [['en', 'America/New_York'], 0.24],
  [['en-GB', 'Europe/London'], 0.1],
  [['de', 'Europe/Berlin'], 0.14],
  [['fr', 'Europe/Paris'], 0.08],
  [['es', 'Europe/Madrid'], 0.08],
  [['nl', 'Europe/Amsterdam'], 0.06],
  [['nb-NO', 'Europe/Oslo'], 0.08],
  [['da-DK', 'Europe/Copenhagen'], 0.08],
  // Korean-speaking customers of a European shop: every zone here has 15:00 UTC inside the 09:00–20:00 send
  // window, so one run can reach the whole base (the tests rely on it; Seoul would be asleep).
  [['ko', 'Europe/Berlin'], 0.07],
  [['ru', 'Europe/Moscow'], 0.07],
];

/** Names as customers of these languages write them (Korean: family name first, in Hangul). */
const NAMES_BY_LANGUAGE: Readonly<Record<string, readonly string[]>> = {
  nb: ['Ingrid', 'Lars', 'Sigrid', 'Ola', 'Kari', 'Håkon', 'Solveig', 'Bjørn'],
  da: ['Mette', 'Søren', 'Freja', 'Rasmus', 'Ida', 'Mikkel', 'Signe', 'Jørgen'],
  ko: ['김민지', '이서연', '박지훈', '최유진', '정하준', '강수빈', '조은우', '윤서아'],
  ru: ['Анна', 'Дмитрий', 'Ольга', 'Сергей', 'Екатерина', 'Иван', 'Мария', 'Алексей'],
};

const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chloé',
  'Dmitri',
  'Emma',
  'Farah',
  'Göran',
  'Hiro',
  'Inès',
  'Jonas',
  'Kai',
  'Lena',
  'Mateo',
  'Noor',
  'Olivia',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Vera',
  'Wim',
  'Xenia',
  'Yusuf',
  'Zoë',
  // A name that must be escaped in HTML: the demo shows it renders as text.
  'Tom & "Jerry" <Co>',
];

/** One draw (u in [0, 1)) picks a name of the customer's language, or of the mixed list. */
function nameFor(locale: string, u: number): string | undefined {
  const names = NAMES_BY_LANGUAGE[locale.split('-')[0] ?? ''] ?? FIRST_NAMES;
  return names[Math.floor(u * names.length)];
}

export interface SyntheticBase {
  profiles: CustomerCsvRow[];
  orders: OrderRecord[];
  archetypes: Map<string, Archetype>;
}

export interface SyntheticOptions {
  customers: number;
  /** last instant of history */
  end: string;
  /** months of history before `end` in which customers sign up */
  months?: number;
  seed?: number;
  currency?: string;
}

/** mulberry32: a tiny, well-known 32-bit PRNG; enough for test data and fully reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One value by its share (the shares sum to about 1; rounding falls to the last). */
function pick<T>(random: () => number, weighted: readonly (readonly [T, number])[]): T {
  let r = random();
  for (const [value, weight] of weighted) {
    if (r < weight) return value;
    r -= weight;
  }
  const last = weighted.at(-1);
  if (!last) throw new Error('nothing to pick from');
  return last[0];
}

export function syntheticBase(options: SyntheticOptions): SyntheticBase {
  const random = prng(options.seed ?? 42);
  const months = options.months ?? 24;
  const currency = options.currency ?? 'USD';
  const endMs = Date.parse(options.end);
  const startMs = endMs - months * 30.4 * DAY_MS;
  const profiles: CustomerCsvRow[] = [];
  const orders: OrderRecord[] = [];
  const archetypes = new Map<string, Archetype>();
  const width = String(options.customers).length;

  for (let i = 1; i <= options.customers; i++) {
    const customerId = `c${String(i).padStart(Math.max(6, width), '0')}`;
    const archetype = pick(random, MIX);
    const [locale, timeZone] = pick(random, LOCALES);
    archetypes.set(customerId, archetype);
    const signedUpMs = startMs + random() * (endMs - startMs - 7 * DAY_MS);
    const signedUpAt = new Date(signedUpMs).toISOString();
    const consent = random() < 0.78;
    profiles.push({
      customer_id: customerId,
      email: `${customerId}@example.com`,
      name: nameFor(locale, random()),
      locale,
      time_zone: timeZone,
      signed_up_at: signedUpAt,
      marketing_consent: consent,
      consent_at: signedUpAt,
      consent_source: 'signup-form',
    });
    if (archetype === 'prospect') continue;

    let n = 0;
    const order = (atMs: number, amountMinor: number) => {
      if (atMs > endMs) return false;
      n += 1;
      orders.push({
        orderId: `${customerId}-o${n}`,
        customerId,
        placedAt: new Date(Math.floor(atMs / 1000) * 1000).toISOString(),
        amountMinor: Math.max(100, Math.round(amountMinor)),
        currency,
      });
      return true;
    };
    let t = signedUpMs + random() * 20 * DAY_MS;
    switch (archetype) {
      case 'transactional':
        order(t, 2000 + random() * 6000);
        break;
      case 'loyal': {
        // Buys every 2–6 weeks; one in five eventually drifts away.
        const stopMs = random() < 0.2 ? t + random() * (endMs - t) : Number.POSITIVE_INFINITY;
        while (t < endMs && t < stopMs) {
          order(t, 3000 + random() * 7000);
          t += (14 + random() * 28) * DAY_MS;
        }
        break;
      }
      case 'subscription': {
        // A fixed amount every ~30 days; a third cancel at some point.
        const amount = 999 + 1000 * Math.floor(random() * 3); // 9.99, 19.99 or 29.99
        const stopMs = random() < 0.35 ? t + random() * (endMs - t) : Number.POSITIVE_INFINITY;
        while (t < endMs && t < stopMs) {
          order(t, amount);
          t += (29 + random() * 3) * DAY_MS;
        }
        break;
      }
      case 'tall': {
        // Few accounts, big orders, frequent.
        while (t < endMs) {
          order(t, 50_000 + random() * 250_000);
          t += (7 + random() * 21) * DAY_MS;
        }
        break;
      }
      case 'drifter': {
        // 2–5 purchases, slowing down, then silence.
        const count = 2 + Math.floor(random() * 4);
        let gap = 15 + random() * 30;
        for (let k = 0; k < count && t < endMs; k++) {
          order(t, 1500 + random() * 5000);
          t += gap * DAY_MS;
          gap *= 1.6;
        }
        break;
      }
    }
  }
  return { profiles, orders, archetypes };
}
