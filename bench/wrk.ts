/**
 * Closed-loop GET load with wrk, the C load generator the performance issue measured with. autocannon
 * spends 25-30 us of a core per request, so on two cores it caps the raw ceiling near 25,000-30,000/s and
 * takes a core from whatever server it measures; wrk spends a few. The wrk pair (`ceiling-wrk`, `hit-wrk`)
 * shows how far the API is from the ceiling when the generator is not the limit.
 * wrk keeps no per-request samples: its own histogram gives the percentiles (microsecond resolution).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstall, needs } from '../infra/stack/install';
import { Samples, type LoadRun } from './load';

export interface WrkSpec {
  url: string;
  connections: number;
  durationS: number;
  /** GET: each request asks for one of these paths, picked at random. */
  paths?: readonly string[];
  /**
   * POST instead: each request sends `{"url": "<before><thread>x<n><after>"}` to `path` as JSON, n counting
   * per wrk thread, so no two requests of a run carry the same URL.
   */
  post?: { path: string; before: string; after: string };
}

/** Installs wrk (Debian package `wrk`) when it is missing. */
export async function ensureWrk(): Promise<void> {
  await aptInstall(needs('wrk', 'wrk'));
}

const quote = (s: string) => JSON.stringify(s); // a Lua string literal for printable ASCII

/** The Lua script: the requests, and a JSON summary written to `out` when the run ends. */
function script(spec: WrkSpec, out: string): string {
  const requests = spec.post
    ? `
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", tostring(threads)) end
local n = 0
local headers = { ["Content-Type"] = "application/json" }
request = function()
  n = n + 1
  return wrk.format("POST", ${quote(spec.post.path)}, headers, '{"url":"' .. ${quote(spec.post.before)} .. tid .. "x" .. n .. ${quote(spec.post.after)} .. '"}')
end`
    : `
local paths = {${(spec.paths ?? []).map(quote).join(',')}}
request = function() return wrk.format("GET", paths[math.random(#paths)]) end`;
  return `${requests}
done = function(summary, latency, requests)
  local e = summary.errors
  local f = io.open(${quote(out)}, "w")
  f:write(string.format('{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  f:close()
end
`;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Runs wrk with two threads (one per core of the machine the figures are for). A success is any response
 * with a status below 400 (wrk counts the others as status errors); the workloads' probes check the exact
 * status and Location before the load.
 */
export async function runWrk(spec: WrkSpec): Promise<LoadRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'linkhop-wrk-'));
  try {
    const out = path.join(dir, 'summary.json');
    writeFileSync(path.join(dir, 'load.lua'), script(spec, out));
    const threads = Math.max(1, Math.min(2, spec.connections));
    await new Promise<void>((resolve, reject) =>
      execFile('wrk', [`-t${threads}`, `-c${spec.connections}`, `-d${spec.durationS}s`, '--timeout', '10s', '-s', path.join(dir, 'load.lua'), spec.url],
        { timeout: (spec.durationS + 30) * 1000 }, (err, _stdout, stderr) => (err ? reject(new Error(`wrk failed: ${err.message}\n${stderr}`)) : resolve())),
    );
    const s = JSON.parse(readFileSync(out, 'utf8')) as WrkSummary;
    const durationS = s.durationUs / 1e6;
    const ok = s.requests - s.status;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      samples: new Samples(),
      stats: {
        rps: Math.round(ok / durationS),
        latencyMs: { p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max) },
        errors: s.status + s.connect + s.read + s.write + s.timeout,
        ok,
        responses: s.requests,
        timeouts: s.timeout,
        statusCounts: { '<400': ok, '>=400': s.status },
        durationS,
        connections: spec.connections,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
