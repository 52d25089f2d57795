import type { Linter } from 'eslint';

export const LAYERS: string[][];
export const LAUNCHER: string[];
export function layerRules(): Linter.Config[];
