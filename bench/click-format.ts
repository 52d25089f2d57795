/**
 * `npx tsx bench/click-format.ts [clicks per record]`: the click record encodings compared on one core, per
 * click: bytes on the topic, encode time, full decode time (analytics group) and counts-only decode time
 * (counting group). The candidates: format 1 (one JSON event per record), JSON rows in one record, MessagePack
 * rows, JSON columns and MessagePack columns with dictionaries (format clicks.v2, queues/click-record.ts).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Packr } from 'msgpackr';
import { packClicks, readCounts, unpackClicks, type Click } from '../queues/click-record';

const AGENTS = Array.from({ length: 20 }, (_, i) =>
  `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${120 + i}.0.0.0 Safari/537.36`);
const REFERRERS = ['', 'https://news.ycombinator.com/', 'https://www.google.com/', 'https://t.co/abc', 'https://example.org/post/1'];
const COUNTRIES = ['', 'US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

function sample(n: number): Click[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    code: `c${Math.floor(Math.random() * 2000).toString(36)}`,
    at: now + Math.floor(i / 4),
    referrer: pick(REFERRERS),
    userAgent: pick(AGENTS),
    visitorHash: randomBytes(16).toString('hex'),
    bot: Math.random() < 0.05,
    country: pick(COUNTRIES),
  }));
}

const packr = new Packr({ useRecords: false });
const v1Event = (c: Click, i: number) => ({
  click_id: `0000000${i}-0000-4000-8000-000000000000`, short_code: c.code, ts: new Date(c.at).toISOString(),
  referrer: c.referrer, user_agent: c.userAgent, visitor_hash: c.visitorHash, bot: c.bot, country: c.country,
});
const row = (c: Click) => [c.code, c.at, c.referrer, c.userAgent, c.visitorHash, c.bot, c.country];
function columnsJson(cs: Click[]) {
  const dict = (vs: string[]) => { const d = [...new Set(vs)]; const m = new Map(d.map((v, i) => [v, i])); return [d, vs.map((v) => m.get(v))]; };
  const counts: Record<string, number> = {};
  for (const c of cs) counts[c.code] = (counts[c.code] ?? 0) + 1;
  return JSON.stringify({ counts, t0: cs[0].at, dt: cs.map((c) => c.at - cs[0].at), code: dict(cs.map((c) => c.code)),
    ref: dict(cs.map((c) => c.referrer)), ua: dict(cs.map((c) => c.userAgent)), vh: cs.map((c) => c.visitorHash).join(''),
    bot: cs.map((c) => (c.bot ? 1 : 0)), cc: dict(cs.map((c) => c.country)) });
}

interface Candidate {
  name: string;
  encode: (cs: Click[]) => Buffer | Buffer[];
  decode: (b: Buffer | Buffer[]) => unknown;
  counts: (b: Buffer | Buffer[]) => unknown;
}
const each = (b: Buffer | Buffer[]) => (Array.isArray(b) ? b : [b]);
const candidates: Candidate[] = [
  { name: 'format 1: a JSON record per click', encode: (cs) => cs.map((c, i) => Buffer.from(JSON.stringify(v1Event(c, i)))),
    decode: (b) => each(b).map((x) => JSON.parse(x.toString())), counts: (b) => each(b).map((x) => (JSON.parse(x.toString()) as { short_code: string }).short_code) },
  { name: 'JSON rows, one record', encode: (cs) => Buffer.from(JSON.stringify(cs.map((c, i) => v1Event(c, i)))),
    decode: (b) => JSON.parse(b.toString()), counts: (b) => JSON.parse(b.toString()) },
  { name: 'MessagePack rows, one record', encode: (cs) => packr.pack(cs.map(row)), decode: (b) => packr.unpack(b as Buffer), counts: (b) => packr.unpack(b as Buffer) },
  { name: 'JSON columns + dictionaries', encode: (cs) => Buffer.from(columnsJson(cs)), decode: (b) => JSON.parse(b.toString()), counts: (b) => JSON.parse(b.toString()) },
  { name: 'MessagePack columns + dictionaries (v2)', encode: (cs) => packClicks(cs),
    decode: (b) => unpackClicks({ producer: 'p', seq: 1 }, b as Buffer), counts: (b) => readCounts(b as Buffer) },
];

function time(fn: () => unknown, rounds: number): number {
  for (let i = 0; i < Math.min(rounds, 200); i++) fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  return (performance.now() - start) / rounds;
}

const perRecord = Number(process.argv[2] ?? 64);
const records = Array.from({ length: 50 }, () => sample(perRecord));
const rounds = Math.max(20, Math.floor(200_000 / perRecord / records.length));
console.log(`${perRecord} clicks per record; per click:`);
console.log('| encoding | bytes | encode µs | full decode µs | counts-only decode µs |\n|---|---:|---:|---:|---:|');
for (const c of candidates) {
  const encoded = records.map((r) => c.encode(r));
  const bytes = encoded.reduce((s, e) => s + each(e).reduce((t, x) => t + x.length, 0), 0) / (records.length * perRecord);
  const us = (ms: number) => ((ms * 1000) / (records.length * perRecord)).toFixed(2);
  const enc = time(() => records.forEach((r) => c.encode(r)), rounds);
  const dec = time(() => encoded.forEach((e) => c.decode(e)), rounds);
  const cnt = time(() => encoded.forEach((e) => c.counts(e)), rounds);
  console.log(`| ${c.name} | ${bytes.toFixed(1)} | ${us(enc)} | ${us(dec)} | ${us(cnt)} |`);
}
