/** createActivities(deps): every side effect the workflows call, closed over injected clients. */
import { createWarmCacheActivities, type WarmCacheDeps } from './warm-cache';

export type ActivityDeps = WarmCacheDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createWarmCacheActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
