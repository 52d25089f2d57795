/**
 * Sums a V8 .cpuprofile's self time per function and per package: what the hot path spends its CPU on.
 * `npx tsx bench/profile.ts <file.cpuprofile> [top]` prints both tables; the bench calls it after --profile.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  startTime: number;
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  pct: number;
}

/** A span of the monotonic clock in microseconds (V8's profile clock and process.hrtime share it on Linux). */
export interface Window {
  startUs: number;
  endUs: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** The span summed: the whole process life, or the window given (e.g. the measured run only). */
  window: 'all' | Window;
  functions: SelfTime[];
  packages: SelfTime[];
}

const ROOT = path.resolve(__dirname, '..');

/** Where a frame's code lives: a package, node internals, V8 itself, or a project folder. */
function owner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const rel = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  if (pkg) return pkg[1];
  return rel.split('/').slice(0, -1).join('/') || rel;
}

function frameName(url: string, functionName: string, line: number): string {
  const file = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '').replace(/^.*node_modules\//, '');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${line + 1}` : ''}`.trim();
}

/** Self time per function and per package, largest first; only samples inside `window` when given. */
export function summariseProfile(file: string, top = 25, window?: Window): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  const inWindow = (t: number) => !window || (t >= window.startUs && t <= window.endUs);
  // timeDeltas[i] is the time since the previous sample: it belongs to samples[i]'s frame.
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (!node || !inWindow(at)) return;
    const { url, functionName, lineNumber } = node.callFrame;
    total += us;
    const name = frameName(url, functionName, lineNumber);
    fn.set(name, (fn.get(name) ?? 0) + us);
    const p = owner(url, functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  });
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, pct: Math.round((us / total) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), window: window ?? 'all', functions: rank(fn), packages: rank(pkg) };
}

/** Both tables as text. */
export function formatProfile(s: ProfileSummary): string {
  const table = (rows: SelfTime[]) => rows.map((r) => `${String(r.pct).padStart(6)}%  ${String(r.selfMs).padStart(9)} ms  ${r.name}`).join('\n');
  return `self time by function (${s.window === 'all' ? 'whole process' : 'measured run only'}, total ${s.totalMs} ms):\n${table(s.functions)}\n\nself time by package:\n${table(s.packages)}`;
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatProfile(summariseProfile(file, Number(top ?? 25))));
}
