import type { SegmentCheckpoint, SegmentRunStore } from '../../ports.ts';

/** In-memory checkpoints: a full pass run in one process that need not survive it (tests, one-off CLI runs). */
export function memorySegmentRuns(): SegmentRunStore {
  const runs = new Map<string, Map<number, SegmentCheckpoint>>();
  const run = (runId: string) => {
    const segments = runs.get(runId) ?? new Map<number, SegmentCheckpoint>();
    runs.set(runId, segments);
    return segments;
  };
  // Stored as JSON text, as DynamoDB would, so a job never shares mutable state with its checkpoint.
  const copy = (c: SegmentCheckpoint): SegmentCheckpoint => {
    const { cursor, ...rest } = c;
    // JSON.stringify(undefined) is undefined at run time (its type says string): no state stays no state.
    const json: string | undefined = JSON.stringify(c.state);
    const state: unknown = json === undefined ? undefined : JSON.parse(json);
    return { ...rest, ...(cursor !== undefined ? { cursor } : {}), state };
  };
  return {
    async loadSegment(runId, segment) {
      const c = run(runId).get(segment);
      return c ? copy(c) : undefined;
    },
    async saveSegment(runId, checkpoint) {
      run(runId).set(checkpoint.segment, copy(checkpoint));
    },
    async loadSegments(runId) {
      return [...run(runId).values()].map(copy);
    },
  };
}
