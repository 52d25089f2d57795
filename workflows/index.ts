/** Every workflow the worker registers; deterministic code only (no Node imports). */
export { flushClicksWorkflow } from './flush-clicks';
export { warmCacheWorkflow } from './warm-cache';
