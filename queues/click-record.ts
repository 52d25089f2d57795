/**
 * The packed click record (format `clicks.v2`): the clicks one API process answered in one linger window for
 * one partition, as ONE Kafka record. Headers name the format and the record id (producer id + sequence,
 * fixed when the record is packed, so every retry and the fallback stream carry the same id). The value is
 * two MessagePack values in a row:
 *
 *   1. head: [total, codes[], counts[]]    what the counting group needs, decoded without the rest
 *   2. body: columns, one entry per click   what the analytics group needs
 *        [t0, dt[], code index[], referrers[], referrer index[], agents[], agent index[],
 *         visitor hashes (16 bytes each, one buffer), bot flags (one byte each), countries[], country index[]]
 *
 * Columns with dictionaries: a window's clicks repeat codes, user agents and referrers, so each distinct
 * string is written once (bench/click-format.ts measures this against JSON and row layouts). Click ids are
 * not sent: click i of record `<producer>.<seq>` is `<producer>.<seq>.<i>`, the same on every redelivery.
 * Records without the format header are the one-click JSON events of format 1 (queues/click-event.ts).
 */
import { Packr, Unpackr } from 'msgpackr';
import { parseClickEvent } from './click-event';

export const FORMAT_HEADER = 'linkhop-format';
export const RECORD_HEADER = 'linkhop-record';
export const PACKED_FORMAT = 'clicks.v2';

/** One click as the API hands it to the producer (times as epoch milliseconds). */
export interface Click {
  code: string;
  at: number;
  referrer: string;
  userAgent: string;
  /** 32 hex characters (128 bits of the visitor HMAC) */
  visitorHash: string;
  bot: boolean;
  /** ISO 3166 alpha-2, or '' when unknown */
  country: string;
}

/** A click read back from a record, with its derived id. */
export interface DecodedClick extends Click {
  clickId: string;
}

/** (producer id, sequence): unique per record, so the counting group remembers one bit per record. */
export interface RecordId {
  producer: string;
  seq: number;
}

/** Producer ids are key-safe so they can be part of a Redis key. */
export const PRODUCER_ID = /^[A-Za-z0-9_-]{1,32}$/;
const CODE = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_TEXT = 1024;

// Standard MessagePack (no record extension): any MessagePack reader can inspect a record.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export const recordIdText = (id: RecordId): string => `${id.producer}.${id.seq}`;

/** Parses `<producer>.<seq>`; null when malformed. */
export function parseRecordId(text: string): RecordId | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return null;
  const producer = text.slice(0, dot);
  const digits = text.slice(dot + 1);
  const seq = Number(digits);
  if (!PRODUCER_ID.test(producer) || !/^\d{1,15}$/.test(digits)) return null;
  return { producer, seq };
}

/** Kafka headers of a packed record (`id` as recordIdText gives it). */
export function recordHeaders(id: string): Record<string, string> {
  return { [FORMAT_HEADER]: PACKED_FORMAT, [RECORD_HEADER]: id };
}

function dictionary(values: readonly string[]): { dict: string[]; index: number[] } {
  const seen = new Map<string, number>();
  const dict: string[] = [];
  const index = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    let at = seen.get(values[i]);
    if (at === undefined) {
      at = dict.length;
      seen.set(values[i], at);
      dict.push(values[i]);
    }
    index[i] = at;
  }
  return { dict, index };
}

/** Encodes clicks (at least one) into a record value. */
export function packClicks(clicks: readonly Click[]): Buffer {
  const n = clicks.length;
  const codes = dictionary(clicks.map((c) => c.code));
  const counts = new Array<number>(codes.dict.length).fill(0);
  for (const i of codes.index) counts[i]++;
  let t0 = Infinity;
  for (const c of clicks) if (c.at < t0) t0 = c.at;
  const refs = dictionary(clicks.map((c) => c.referrer.slice(0, MAX_TEXT)));
  const agents = dictionary(clicks.map((c) => c.userAgent.slice(0, MAX_TEXT)));
  const countries = dictionary(clicks.map((c) => c.country));
  const visitors = Buffer.alloc(16 * n);
  const bots = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    visitors.write(clicks[i].visitorHash, 16 * i, 16, 'hex');
    bots[i] = clicks[i].bot ? 1 : 0;
  }
  const head = packr.pack([n, codes.dict, counts]);
  const body = packr.pack([
    t0, clicks.map((c) => c.at - t0), codes.index, refs.dict, refs.index, agents.dict, agents.index,
    visitors, bots, countries.dict, countries.index,
  ]);
  return Buffer.concat([head, body]);
}

/** Per-code counts of a record: what the counting group needs. */
export interface RecordCounts {
  total: number;
  codes: string[];
  counts: number[];
}

type Result<T> = { ok: true; value: T } | { ok: false; error: string };
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Decodes only the head (the first MessagePack value); the error says why a record is dead-lettered. */
export function readCounts(value: Buffer | null): Result<RecordCounts> {
  if (!value || value.length === 0) return fail('empty record value');
  let head: unknown;
  try {
    // unpackMultiple stops after the first value when the callback returns false: the body is never read.
    unpackr.unpackMultiple(value, (v: unknown) => {
      head = v;
      return false;
    });
  } catch {
    return fail('record head is not MessagePack');
  }
  if (!Array.isArray(head) || head.length !== 3) return fail('record head is not [total, codes, counts]');
  const [total, codes, counts] = head as unknown[];
  if (!isCount(total) || !Array.isArray(codes) || !Array.isArray(counts) || codes.length !== counts.length || codes.length === 0) {
    return fail('record head is not [total, codes, counts]');
  }
  let sum = 0;
  for (let i = 0; i < codes.length; i++) {
    if (typeof codes[i] !== 'string' || !CODE.test(codes[i] as string)) return fail(`head code ${i} is not a short code`);
    if (!isCount(counts[i])) return fail(`head count ${i} is not a positive integer`);
    sum += counts[i] as number;
  }
  if (sum !== total) return fail(`head counts add up to ${sum}, not ${String(total)}`);
  return { ok: true, value: { total, codes: codes as string[], counts: counts as number[] } };
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length <= MAX_TEXT);
const indexes = (v: unknown, n: number, size: number): v is number[] =>
  Array.isArray(v) && v.length === n && v.every((i) => Number.isInteger(i) && i >= 0 && i < size);

/** Decodes every click of a record (head and body) and checks that both agree. */
export function unpackClicks(id: RecordId, value: Buffer | null): Result<DecodedClick[]> {
  const counted = readCounts(value);
  if (!counted.ok) return counted;
  let parts: unknown[];
  try {
    parts = unpackr.unpackMultiple(value as Buffer) as unknown[];
  } catch {
    return fail('record body is not MessagePack');
  }
  const n = counted.value.total;
  const body = parts[1];
  if (parts.length !== 2 || !Array.isArray(body) || body.length !== 11) return fail('record body is not the column list');
  const [t0, dt, codeIx, refs, refIx, agents, agentIx, visitors, bots, countries, countryIx] = body as unknown[];
  const { codes } = counted.value;
  const valid =
    Number.isSafeInteger(t0) && Array.isArray(dt) && dt.length === n && dt.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    indexes(codeIx, n, codes.length) && strings(refs) && indexes(refIx, n, refs.length) && strings(agents) &&
    indexes(agentIx, n, agents.length) && Buffer.isBuffer(visitors) && visitors.length === 16 * n &&
    Buffer.isBuffer(bots) && bots.length === n && strings(countries) && indexes(countryIx, n, countries.length);
  if (!valid) return fail('record body columns do not match its head');
  const seen = new Array<number>(codes.length).fill(0);
  const prefix = `${recordIdText(id)}.`;
  const out: DecodedClick[] = new Array(n);
  for (let i = 0; i < n; i++) {
    seen[codeIx[i]]++;
    out[i] = {
      clickId: prefix + i,
      code: codes[codeIx[i]],
      at: (t0 as number) + dt[i],
      referrer: refs[refIx[i]],
      userAgent: agents[agentIx[i]],
      visitorHash: visitors.toString('hex', 16 * i, 16 * i + 16),
      bot: bots[i] === 1,
      country: countries[countryIx[i]],
    };
  }
  if (seen.some((c, i) => c !== counted.value.counts[i])) return fail('record body codes do not match its head counts');
  return { ok: true, value: out };
}

/** A Kafka message as the consumers see it. */
export interface RecordMessage {
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  value: Buffer | null;
}

const header = (m: RecordMessage, name: string): string | undefined => {
  const h = m.headers?.[name];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined ? undefined : v.toString();
};

/** What the counting group needs of one record of either format. */
export type CountedRecord =
  | { format: 'packed'; id: RecordId; codes: string[]; counts: number[]; total: number }
  | { format: 'click'; clickId: string; codes: [string]; counts: [1]; total: 1 };

/** Reads a record for counting: headers and head only for a packed record, the whole event for format 1. */
export function readForCounting(m: RecordMessage): Result<CountedRecord> {
  const format = header(m, FORMAT_HEADER);
  if (format === undefined) {
    const parsed = parseClickEvent(m.value);
    if (!parsed.ok) return parsed;
    return { ok: true, value: { format: 'click', clickId: parsed.event.click_id, codes: [parsed.event.short_code], counts: [1], total: 1 } };
  }
  if (format !== PACKED_FORMAT) return fail(`unknown record format ${JSON.stringify(format.slice(0, 40))}`);
  const id = parseRecordId(header(m, RECORD_HEADER) ?? '');
  if (!id) return fail('packed record without a valid record id');
  const counts = readCounts(m.value);
  if (!counts.ok) return counts;
  return { ok: true, value: { format: 'packed', id, ...counts.value } };
}

/** Reads every click of a record of either format (the analytics group's view). */
export function readForAnalytics(m: RecordMessage): Result<DecodedClick[]> {
  const format = header(m, FORMAT_HEADER);
  if (format === undefined) {
    const parsed = parseClickEvent(m.value);
    if (!parsed.ok) return parsed;
    const e = parsed.event;
    return {
      ok: true,
      value: [{ clickId: e.click_id, code: e.short_code, at: Date.parse(e.ts), referrer: e.referrer, userAgent: e.user_agent,
        visitorHash: e.visitor_hash, bot: e.bot, country: e.country ?? '' }],
    };
  }
  if (format !== PACKED_FORMAT) return fail(`unknown record format ${JSON.stringify(format.slice(0, 40))}`);
  const id = parseRecordId(header(m, RECORD_HEADER) ?? '');
  if (!id) return fail('packed record without a valid record id');
  return unpackClicks(id, m.value);
}
