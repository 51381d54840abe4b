import { describe, expect, it } from 'vitest';
import { workPool } from '../../shared/concurrency.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('workPool', () => {
  it('runs every job, never more than `concurrency` at once, and lets the producer run ahead by at most `maxQueued`', async () => {
    const pool = workPool(3, 5);
    let running = 0;
    let peak = 0;
    let done = 0;
    let maxAhead = 0;
    for (let i = 0; i < 40; i++) {
      await pool.submit(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await tick();
        running -= 1;
        done += 1;
      });
      maxAhead = Math.max(maxAhead, i + 1 - done);
    }
    await pool.drain();
    expect(done).toBe(40);
    expect(peak).toBe(3);
    // submitted but not finished: at most the 3 running plus the 5 queued
    expect(maxAhead).toBeLessThanOrEqual(8);
  });

  it('lets running jobs finish, refuses new ones after a failure, and rethrows it from drain', async () => {
    const pool = workPool(4, 10);
    let done = 0;
    for (let i = 0; i < 3; i++)
      await pool.submit(async () => {
        await tick();
        done += 1;
      });
    await pool.submit(async () => {
      throw new Error('DynamoDB unavailable');
    });
    await tick();
    await expect(pool.submit(async () => undefined)).rejects.toThrow('DynamoDB unavailable');
    await expect(pool.drain()).rejects.toThrow('DynamoDB unavailable');
    expect(done).toBe(3);
  });

  it('drains at once when nothing was submitted', async () => {
    await expect(workPool(2, 2).drain()).resolves.toBeUndefined();
  });
});
