/**
 * The workloads: what each one sends, to which server, and what counts as success. Each closed-loop run is
 * preceded by a warm-up of the same shape whose numbers are thrown away.
 */
import { benchUrl, benchUrlParts } from './dataset';
import { mergeRuns, runLoad, type LoadRun, type LoadSpec, type RequestShape } from './load';
import { runPaced } from './paced';
import { runWrk } from './wrk';
import type { ServerName, Workload, WorkloadContext, WorkloadOutcome } from './types';

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];
const firstCode = (ctx: WorkloadContext) => ctx.data.codes[0];
const redirectProbe = (ctx: WorkloadContext) => ({ path: `/${firstCode(ctx)}`, location: ctx.data.links.get(firstCode(ctx)) });

/** A closed-loop workload: `spec` for both the warm-up (shortened) and the measured run. */
function closedLoop(spec: (ctx: WorkloadContext) => LoadSpec): Pick<Workload, 'warmup' | 'run'> {
  return {
    warmup: (ctx) => runLoad({ ...spec(ctx), durationS: ctx.settings.warmupS }),
    run: async (ctx) => ({ run: await runLoad(spec(ctx)) }),
  };
}

function randomRedirects(server: ServerName, codes: (ctx: WorkloadContext) => string[], expectStatus = 307) {
  return closedLoop((ctx) => ({
    url: ctx.urls[server],
    connections: ctx.settings.connections,
    durationS: ctx.settings.durationS,
    expectStatus,
    next: () => ({ path: `/${pick(codes(ctx))}` }),
  }));
}

/** Every code requested exactly once, by however many connections the settings give. */
function eachOnce(ctx: WorkloadContext, codes: string[]): LoadSpec {
  let i = 0;
  return {
    url: ctx.urls['api-nolru'],
    connections: Math.min(ctx.settings.connections, codes.length),
    durationS: ctx.settings.durationS,
    amount: codes.length,
    expectStatus: 307,
    next: () => ({ path: `/${codes[i++ % codes.length]}` }),
  };
}

/** Redirects of the warm codes under wrk: a warm-up, then the measured run. */
function wrkRedirects(server: ServerName): Pick<Workload, 'warmup' | 'run'> {
  const spec = (ctx: WorkloadContext, durationS: number) => ({
    url: ctx.urls[server],
    connections: ctx.settings.connections,
    durationS,
    paths: ctx.data.codes.map((c) => `/${c}`),
  });
  return {
    warmup: (ctx) => runWrk(spec(ctx, ctx.settings.warmupS)),
    run: async (ctx) => ({ run: await runWrk(spec(ctx, ctx.settings.durationS)) }),
  };
}

/** POST /api/shorten under wrk, a new URL each time (warm-up and run under tags of their own). */
function wrkCreates(): Pick<Workload, 'warmup' | 'run'> {
  const spec = (ctx: WorkloadContext, tag: string, durationS: number) =>
    ({ url: ctx.urls.api, connections: ctx.settings.connections, durationS, post: { path: '/api/shorten', ...benchUrlParts(tag) } });
  return {
    warmup: (ctx) => runWrk(spec(ctx, `wrkwarm-${ctx.data.tag}`, ctx.settings.warmupS)),
    run: async (ctx) => ({ run: await runWrk(spec(ctx, `wrk-${ctx.data.tag}`, ctx.settings.durationS)) }),
  };
}

/** POST /api/shorten of a new URL each time (a counter per tag, shared by warm-up and run). */
const counters = new Map<string, number>();
const createShape = (tag: string) => (): RequestShape => {
  const n = counters.get(tag) ?? 0;
  counters.set(tag, n + 1);
  return { method: 'POST', path: '/api/shorten', body: JSON.stringify({ url: benchUrl(tag, n) }) };
};

const ceiling = (name: string, description: string): Workload => ({
  name,
  description,
  server: 'ceiling',
  expectStatus: 307,
  probe: redirectProbe,
  ...randomRedirects('ceiling', (ctx) => ctx.data.codes),
});

/** The seed's three user populations at once, each its own autocannon instance. */
function mixed(ctx: WorkloadContext, durationS: number): Promise<LoadRun[]> {
  const readers = ctx.data.codes.slice(0, 200);
  const celebrities = ctx.data.codes.slice(0, 5);
  const url = ctx.urls.api;
  return Promise.all([
    runLoad({ url, connections: 10, durationS, expectStatus: 201, next: createShape(`mixed-${ctx.data.tag}`) }),
    runLoad({ url, connections: 60, durationS, expectStatus: 307, next: () => ({ path: `/${pick(readers)}` }) }),
    runLoad({ url, connections: 30, durationS, expectStatus: 307, next: () => ({ path: `/${pick(celebrities)}` }) }),
  ]);
}

/** Half the cache-hit peak measured earlier in the run: the load of the p99 target. */
const halfOfHitPeak = (ctx: { hitRps?: number }): number => Math.max(1, Math.floor((ctx.hitRps ?? 0) / 2));

/** Steady-rate redirects of warm codes at half the cache-hit peak, timed from the due time and from the send. */
async function halfPaced(ctx: WorkloadContext, server: ServerName): Promise<WorkloadOutcome> {
  const rate = halfOfHitPeak(ctx);
  const { hostname, port } = new URL(ctx.urls[server]);
  const { run, fromSend } = await runPaced({
    host: hostname,
    port: Number(port),
    rate,
    durationS: ctx.settings.durationS,
    sockets: ctx.settings.connections,
    expectStatus: 307,
    nextPath: () => `/${pick(ctx.data.codes)}`,
  });
  return { run, rate, parts: { 'from send': fromSend } };
}

/** Every workload, in the order a full run measures them. */
export const WORKLOADS: Workload[] = [
  ceiling('ceiling', 'raw node:http 307 from an in-memory Map (same codes as hit)'),
  {
    name: 'hit',
    description: 'redirects of warm codes (in-process LRU)',
    server: 'api',
    expectStatus: 307,
    probe: redirectProbe,
    ...randomRedirects('api', (ctx) => ctx.data.codes),
  },
  {
    name: 'ceiling-wrk',
    description: 'the ceiling under wrk, the C generator the issue measured with (autocannon caps the ceiling on 2 cores)',
    server: 'ceiling',
    expectStatus: 307,
    probe: redirectProbe,
    reference: 'ceiling-wrk',
    usesWrk: true,
    ...wrkRedirects('ceiling'),
  },
  {
    name: 'hit-wrk',
    description: 'hit under wrk; its ratio is to ceiling-wrk, judged on the median of --rounds alternating pairs',
    server: 'api',
    expectStatus: 307,
    probe: redirectProbe,
    reference: 'ceiling-wrk',
    usesWrk: true,
    rounds: true,
    ...wrkRedirects('api'),
  },
  {
    name: 'hit-half',
    description: 'hit at half its peak, autocannon overallRate (bursty: each second starts at full speed)',
    server: 'api',
    expectStatus: 307,
    probe: redirectProbe,
    run: async (ctx) => {
      const rate = halfOfHitPeak(ctx);
      const run = await runLoad({
        url: ctx.urls.api,
        connections: ctx.settings.connections,
        durationS: ctx.settings.durationS,
        overallRate: rate,
        expectStatus: 307,
        next: () => ({ path: `/${pick(ctx.data.codes)}` }),
      });
      return { run, rate };
    },
  },
  {
    name: 'hit-half-paced',
    description: 'hit at half its peak, open loop at a steady rate (latency from the due time)',
    server: 'api',
    expectStatus: 307,
    probe: redirectProbe,
    run: (ctx) => halfPaced(ctx, 'api'),
  },
  {
    name: 'ceiling-half-paced',
    description: 'the ceiling at the rate of hit-half-paced, same generator: the floor this machine and generator allow',
    server: 'ceiling',
    expectStatus: 307,
    probe: redirectProbe,
    run: (ctx) => halfPaced(ctx, 'ceiling'),
  },
  {
    name: 'miss-redis',
    description: 'redirects answered by Redis (second API process, LRU off)',
    server: 'api-nolru',
    expectStatus: 307,
    probe: redirectProbe,
    ...randomRedirects('api-nolru', (ctx) => ctx.data.codes),
  },
  {
    name: 'miss-pg',
    description: 'redirects answered by PostgreSQL (uncached codes, each requested once; LRU off)',
    server: 'api-nolru',
    expectStatus: 307,
    // The probe takes the warm-up set's last code, so every measured code is still cold.
    probe: (ctx) => ({ path: `/${ctx.data.coldWarmupCodes[ctx.data.coldWarmupCodes.length - 1]}` }),
    warmup: (ctx) => runLoad(eachOnce(ctx, ctx.data.coldWarmupCodes.slice(0, -1))),
    run: async (ctx) => {
      return { run: await runLoad(eachOnce(ctx, ctx.data.coldCodes)) };
    },
  },
  {
    name: 'unknown',
    description: 'codes that never existed, each new (Redis and PostgreSQL both asked, then cached as missing)',
    server: 'api',
    expectStatus: 404,
    probe: (ctx) => ({ path: `/U${ctx.data.tag}probe` }),
    ...(() => {
      // One counter for warm-up and run: every request of either asks for a new code.
      let n = 0;
      return closedLoop((ctx) => ({
        url: ctx.urls.api,
        connections: ctx.settings.connections,
        durationS: ctx.settings.durationS,
        expectStatus: 404,
        next: () => ({ path: `/U${ctx.data.tag}${(n++).toString(36)}` }),
      }));
    })(),
  },
  {
    name: 'unknown-repeat',
    description: '100 unknown codes asked again and again (negative cache)',
    server: 'api',
    expectStatus: 404,
    probe: (ctx) => ({ path: `/N${ctx.data.tag}0` }),
    ...randomRedirects('api', (ctx) => Array.from({ length: 100 }, (_, i) => `N${ctx.data.tag}${i}`), 404),
  },
  {
    name: 'create',
    description: 'POST /api/shorten with new URLs (generated codes)',
    server: 'api',
    expectStatus: 201,
    probe: (ctx) => ({ method: 'POST', path: '/api/shorten', body: JSON.stringify({ url: benchUrl(`probe-${ctx.data.tag}`, 0) }) }),
    ...closedLoop((ctx) => ({
      url: ctx.urls.api,
      connections: ctx.settings.connections,
      durationS: ctx.settings.durationS,
      expectStatus: 201,
      next: createShape(`new-${ctx.data.tag}`),
    })),
  },
  {
    name: 'create-wrk',
    description: 'create sent by wrk (a new URL each time); its ratio is to ceiling-wrk',
    server: 'api',
    expectStatus: 201,
    probe: (ctx) => ({ method: 'POST', path: '/api/shorten', body: JSON.stringify({ url: benchUrl(`probe-wrk-${ctx.data.tag}`, 0) }) }),
    reference: 'ceiling-wrk',
    usesWrk: true,
    ...wrkCreates(),
  },
  {
    name: 'mixed',
    description: "the seed's mix at once: 10 writers, 60 readers over 200 codes, 30 readers over 5 codes",
    server: 'api',
    expectStatus: 307,
    probe: redirectProbe,
    warmup: (ctx) => mixed(ctx, ctx.settings.warmupS),
    run: async (ctx) => {
      const [writers, readers, celebrity] = await mixed(ctx, ctx.settings.durationS);
      return { run: mergeRuns([writers, readers, celebrity]), parts: { writers, readers, celebrity } };
    },
  },
  ceiling('ceiling-end', 'the ceiling again at the end: how much the machine drifted during the run'),
];
