/**
 * What a click is made of: the visitor is an HMAC of ip + user agent, so the raw IP never leaves the API
 * process. Also the click event of format 1 (one JSON record per click), which producers before packed
 * records (queues/click-record.ts) wrote and the consumers still read, so an upgrade loses no click.
 */
import { createHmac, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { ClickInput } from './click-sink';
import type { Click } from './click-record';
import { isBotAgent } from './enrich/agent';
import { countryOf } from './enrich/country';

const MAX_TEXT = 1024;

export const ClickEventSchema = z.object({
  click_id: z.uuid(),
  short_code: z.string().min(1).max(32),
  ts: z.iso.datetime(),
  referrer: z.string().max(MAX_TEXT),
  user_agent: z.string().max(MAX_TEXT),
  visitor_hash: z.string().regex(/^[0-9a-f]{32}$/),
  bot: z.boolean(),
  /** ISO 3166-1 alpha-2 from the client IP, '' when unknown; absent in events of earlier releases. */
  country: z.string().regex(/^([A-Z]{2})?$/).optional(),
});
export type ClickEvent = z.infer<typeof ClickEventSchema>;

/** True when the user agent looks like a crawler or a script rather than a person's browser (isbot). */
export const isBot = isBotAgent;

// One KeyObject per key: importing a string key on every click was a measurable part of the redirect.
const keyObjects = new Map<string, KeyObject>();

/** Anonymised visitor id: HMAC-SHA256(key, ip + "\n" + user agent), 128 bits of hex. */
export function visitorHash(key: string, ip: string, userAgent: string): string {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = createSecretKey(Buffer.from(key));
    keyObjects.set(key, keyObject);
  }
  return createHmac('sha256', keyObject).update(`${ip}\n${userAgent}`).digest('hex').slice(0, 32);
}

/** Builds the event for one click; long header values are cut so one request cannot bloat the log. */
export function toClickEvent(click: ClickInput, hashKey: string): ClickEvent {
  const userAgent = click.userAgent.slice(0, MAX_TEXT);
  return {
    click_id: randomUUID(),
    short_code: click.shortCode,
    ts: new Date(click.at).toISOString(),
    referrer: click.referrer.slice(0, MAX_TEXT),
    user_agent: userAgent,
    visitor_hash: visitorHash(hashKey, click.ip, click.userAgent),
    bot: isBot(userAgent),
    country: countryOf(click.ip),
  };
}

/** The click of a packed record (queues/click-record.ts), built in the producer's pump, off the response. */
export function toClick(click: ClickInput, hashKey: string): Click {
  const userAgent = click.userAgent.slice(0, MAX_TEXT);
  return {
    code: click.shortCode,
    at: click.at,
    referrer: click.referrer.slice(0, MAX_TEXT),
    userAgent,
    visitorHash: visitorHash(hashKey, click.ip, click.userAgent),
    bot: isBot(userAgent),
    country: countryOf(click.ip),
  };
}

/** Parses a raw Kafka value of format 1 (one JSON event per record); the error says why a message is dead-lettered. */
export function parseClickEvent(value: Buffer | null): { ok: true; event: ClickEvent } | { ok: false; error: string } {
  if (!value) return { ok: false, error: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, error: 'value is not JSON' };
  }
  const parsed = ClickEventSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  return { ok: true, event: parsed.data };
}
