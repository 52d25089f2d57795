/** Where the stack keeps state. Everything lives in the clone's git-ignored .cache so clones never share servers. */
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const stackRoot = path.join(repoRoot, '.cache', 'stack');
/** Downloaded tools (e.g. the temporal binary); survives `down` so a restart needs no network. */
export const toolsRoot = path.join(repoRoot, '.cache', 'tools');

export const serviceDir = (name: string): string => path.join(stackRoot, name);

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
