/** Every workflow the worker registers; deterministic code only (no Node imports). */
export { warmCacheWorkflow } from './warm-cache';
