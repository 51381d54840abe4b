import { type BaseModel, type ScoringModel, scoringModelOf } from '../domain/btyd/model-record.ts';

/**
 * The predictive model in force, as the jobs read it: one read of the stored model (SnapshotStore.loadModel) per
 * process and run (keyed by the run's as-of), however many pages and segments the process visits. The model changes
 * once a week (the cohort pass), so a run never needs a second read.
 */
export function modelInForce(
  load: (() => Promise<BaseModel | undefined>) | undefined,
): (asOf: string) => Promise<ScoringModel | undefined> {
  let loaded: { asOf: string; model: Promise<ScoringModel | undefined> } | undefined;
  return (asOf) => {
    if (!load) return Promise.resolve(undefined);
    if (loaded?.asOf !== asOf) loaded = { asOf, model: load().then(scoringModelOf) };
    return loaded.model;
  };
}

/**
 * The same for a long-lived process that handles events (the activity recorder): the stored model is read again
 * when the cached one is older than `maxAgeMs` by the caller's clock, so a warm Lambda picks up the weekly refit
 * within that time and reads the model once per `maxAgeMs` however many events it handles.
 */
export function cachedModel(
  load: () => Promise<BaseModel | undefined>,
  maxAgeMs: number,
): (now: string) => Promise<ScoringModel | undefined> {
  let loaded: { at: number; model: Promise<ScoringModel | undefined> } | undefined;
  return (now) => {
    const at = Date.parse(now);
    if (!loaded || at - loaded.at >= maxAgeMs || at < loaded.at) {
      const model = load().then(scoringModelOf);
      // A failed read is not cached: the next event tries again.
      model.catch(() => {
        if (loaded?.model === model) loaded = undefined;
      });
      loaded = { at, model };
    }
    return loaded.model;
  };
}
