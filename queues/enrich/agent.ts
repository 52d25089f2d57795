/**
 * Browser, OS, device type and the bot flag of a user agent: ua-parser-js and isbot (both kept libraries).
 * ua-parser-js 1.x (MIT) on purpose: 2.x is AGPL. Parsing costs tens of microseconds while real traffic
 * repeats a few thousand agents, so results are kept in an LRU: a hit costs well under a microsecond.
 */
import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';

export interface AgentInfo {
  browser: string;
  os: string;
  /** desktop, mobile, tablet, console, smarttv, wearable, embedded or bot; '' for an empty agent */
  device: string;
  bot: boolean;
}

const cache = new LRUCache<string, AgentInfo>({ max: 10_000 });
// The API flags bots on every redirect; isbot's one large pattern costs ~10 µs, a cache hit far less.
const botCache = new LRUCache<string, boolean>({ max: 10_000 });
const MAX_NAME = 64;

/** True for crawlers, link unfurlers, monitors and HTTP libraries; an empty agent is a script, not a person. */
export function isBotAgent(userAgent: string): boolean {
  if (userAgent === '') return true;
  let bot = botCache.get(userAgent);
  if (bot === undefined) {
    bot = isbot(userAgent);
    botCache.set(userAgent, bot);
  }
  return bot;
}

/** Classifies a user agent (cached). */
export function classifyAgent(userAgent: string): AgentInfo {
  const hit = cache.get(userAgent);
  if (hit) return hit;
  const bot = isBotAgent(userAgent);
  const r = new UAParser(userAgent).getResult();
  // ua-parser-js names no device type for desktops: a known desktop OS without a type is a desktop.
  const device = bot ? 'bot' : r.device.type ?? (r.os.name || r.browser.name ? 'desktop' : '');
  const info: AgentInfo = {
    browser: (r.browser.name ?? '').slice(0, MAX_NAME),
    os: (r.os.name ?? '').slice(0, MAX_NAME),
    device,
    bot,
  };
  cache.set(userAgent, info);
  return info;
}

/** The referrer's host name (lower case, no port), or '' when there is none or it is not a URL. */
export function referrerHost(referrer: string): string {
  if (referrer === '') return '';
  try {
    return new URL(referrer).hostname.toLowerCase().slice(0, 255);
  } catch {
    return '';
  }
}
