import { describe, expect, it } from 'vitest';
import { CUSTOMERS_PER_SEGMENT, planFullPass, segmentsFor } from '../../shared/jobs/full-pass.ts';

describe('sizing a full pass', () => {
  it('uses the configured segments for a small table and more for a big one, so a segment never grows with the base', () => {
    expect(segmentsFor(0, 4)).toBe(4);
    expect(segmentsFor(100_000, 4)).toBe(4);
    expect(segmentsFor(1_000_000, 4)).toBe(7);
    expect(segmentsFor(10_000_000, 4)).toBe(67);
    expect(segmentsFor(10_000_000, 128)).toBe(128);
    for (const n of [1, 599_999, 3_000_001, 10_000_000, 99_000_000]) {
      expect(n / segmentsFor(n, 1)).toBeLessThanOrEqual(CUSTOMERS_PER_SEGMENT);
    }
  });

  it('plans one entry per segment under a run id the state machine can pass around', () => {
    const plan = planFullPass({ job: 'cohorts', asOf: '2026-11-23T06:00:00.000Z', totalSegments: 3 });
    expect(plan.segments).toEqual([0, 1, 2]);
    expect(plan.runId).toMatch(/^cohorts-2026-11-23-[0-9a-f]{8}$/);
    expect(() => planFullPass({ job: 'flag', asOf: 'today', totalSegments: 3 })).toThrow(/asOf/);
    expect(() => planFullPass({ job: 'flag', asOf: '2026-11-23T06:00:00.000Z', totalSegments: 0 })).toThrow(
      /totalSegments/,
    );
  });
});
