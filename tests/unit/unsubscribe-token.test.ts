import { describe, expect, it } from 'vitest';
import { prng } from '../../shared/seed/synthetic-base.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../shared/unsubscribe/token.ts';

const SECRET = `${'k'.repeat(16)}${'x'.repeat(16)}secret-for-tests`;
const OTHER_SECRET = 'o'.repeat(40);
const NOW = 1_790_000_000;
const valid = signUnsubscribeToken({ customerId: 'c000123', campaignId: 'winback', issuedAt: NOW - 3600 }, SECRET);

/** 10,000 forged or mutated tokens, deterministic so a failure can be replayed. */
function forgeries(): string[] {
  const random = prng(2026);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %';
  const pick = () => alphabet[Math.floor(random() * alphabet.length)] as string;
  const [v, payload, mac] = valid.split('.') as [string, string, string];
  const out = new Set<string>();
  const otherPayload = (id: string) => Buffer.from(`${id}|winback|${NOW - 10}`).toString('base64url');
  for (let i = 0; out.size < 10_000; i++) {
    const kind = i % 10;
    let t: string;
    if (kind === 0) {
      const i = Math.floor(random() * valid.length);
      t = valid.slice(0, i) + pick() + valid.slice(i + 1); // one character changed
    } else if (kind === 1)
      t = valid.slice(0, Math.floor(random() * valid.length)); // truncated
    else if (kind === 2)
      t = valid + pick(); // extended
    else if (kind === 3)
      t = `${v}.${otherPayload(`c${Math.floor(random() * 1e6)}`)}.${mac}`; // another customer, same mac
    else if (kind === 4)
      t = signUnsubscribeToken(
        { customerId: `c${Math.floor(random() * 1e6)}`, campaignId: 'winback', issuedAt: NOW },
        OTHER_SECRET,
      ); // foreign key
    else if (kind === 5)
      t = Array.from({ length: 20 + Math.floor(random() * 120) }, pick).join(''); // noise
    else if (kind === 6)
      t = `v${2 + Math.floor(random() * 1e6)}.${payload}.${mac}`; // other version
    else if (kind === 7)
      t = `${v}.${payload}.${mac.slice(0, 42)}${pick()}`; // mac tail changed
    else if (kind === 8)
      t = `${v}.${payload}${pick()}.${mac}`; // payload extended
    else {
      const issuedAt = NOW + (2 + Math.floor(random() * 5000)) * 86_400; // signed with our key, but from the future
      t = signUnsubscribeToken({ customerId: 'c000123', campaignId: 'winback', issuedAt }, SECRET);
    }
    if (t !== valid) out.add(t);
  }
  return [...out];
}

describe('unsubscribe tokens', () => {
  it('accepts the genuine token and returns its claims', () => {
    expect(verifyUnsubscribeToken(valid, SECRET, NOW)).toEqual({
      customerId: 'c000123',
      campaignId: 'winback',
      issuedAt: NOW - 3600,
    });
  });

  it('rejects 10,000 forged, truncated, foreign and mutated tokens', () => {
    const tokens = forgeries();
    expect(tokens).toHaveLength(10_000);
    const accepted = tokens.filter((t) => verifyUnsubscribeToken(t, SECRET, NOW) !== undefined);
    expect(accepted).toEqual([]);
  });

  it('rejects a token issued in the future and non-string input', () => {
    const future = signUnsubscribeToken(
      { customerId: 'c1', campaignId: 'winback', issuedAt: NOW + 3 * 86_400 },
      SECRET,
    );
    expect(verifyUnsubscribeToken(future, SECRET, NOW)).toBeUndefined();
    for (const bad of [undefined, null, 42, {}, [], 'a'.repeat(10_000)])
      expect(verifyUnsubscribeToken(bad, SECRET, NOW)).toBeUndefined();
  });

  it('refuses to sign or verify with a short secret', () => {
    expect(() => signUnsubscribeToken({ customerId: 'c1', campaignId: 'w', issuedAt: NOW }, 'short')).toThrow(
      /at least 32/,
    );
  });
});
