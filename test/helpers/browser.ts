/**
 * Browser tests drive Debian's Chromium (browser downloads are not possible here) through playwright-core,
 * against a real API process on the real stack. Every page is watched: a console error or an uncaught page
 * error fails the test, except the one line Chromium logs for a document answered with an error status
 * the test expects (the 404 and 401 end-user pages).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** A desktop Chrome user agent: the headless one is (rightly) classed as a bot and kept out of the counts. */
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

/** Launches Chromium with a fresh profile (playwright makes a new user-data-dir for every launch). */
export async function launchChromium(): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: npm run stack -- up installs Debian's chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function newContext(browser: Browser, baseURL: string, opts: { width?: number } = {}): Promise<BrowserContext> {
  return browser.newContext({ baseURL, userAgent: DESKTOP_UA, viewport: { width: opts.width ?? 1280, height: 900 } });
}

/** Problems a page reported; `allowStatus` lists document statuses whose one network log line is expected. */
export class PageWatch {
  readonly problems: string[] = [];
  private readonly allowed = new Set<number>();

  constructor(readonly page: Page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const status = /status of (\d{3})/.exec(msg.text())?.[1];
      if (status && this.allowed.has(Number(status)) && /^Failed to load resource/.test(msg.text())) return;
      this.problems.push(`console error: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      // Aborted navigations (leaving a page mid-load) are not failures of the page.
      if (req.failure()?.errorText !== 'net::ERR_ABORTED') this.problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
    });
  }

  /** Expects the next document(s) answered with `status` (the end-user error pages). */
  allowStatus(status: number): void {
    this.allowed.add(status);
  }

  assertClean(): void {
    assert.deepEqual(this.problems, [], `the page reported problems:\n${this.problems.join('\n')}`);
  }
}

/** A destination site for the links under test: every path answers a small page titled with the path. */
export async function startLandingSite(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = `<!doctype html><title>landing ${req.url}</title><h1 id="landing">landing ${req.url}</h1>`;
    res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'none'" });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // 'localhost' rather than the API's 127.0.0.1: a link to the API's own host would be refused as a loop.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
