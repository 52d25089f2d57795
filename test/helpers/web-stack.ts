/**
 * What a browser test needs: an isolated pipeline (private database, consumer groups) with one real API
 * process behind an API key, the click consumer and the Temporal worker, a landing site for the links'
 * destinations, and Chromium. The web app is built first when web/dist is missing.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { ensureWebBuilt } from '../../infra/web';
import { launchChromium, startLandingSite } from './browser';
import { createPipelineEnv, type PipelineEnv } from './pipeline-env';
import { startPipeline, type PipelineProcs } from './pipeline-procs';

export interface WebStack {
  baseUrl: string;
  /** The config the API process runs with (private database, click keys, consumer groups). */
  config: PipelineEnv['config'];
  key: string;
  browser: Browser;
  landing: Awaited<ReturnType<typeof startLandingSite>>;
  /** POST /api/shorten with the key; returns the link body. */
  createLink(body: Record<string, unknown>): Promise<{ short_code: string; short_url: string; original_url: string }>;
  stop(): Promise<void>;
}

/** Starts it all; `extra` adds environment variables for the processes. */
export async function startWebStack(extra: Record<string, string> = {}): Promise<WebStack> {
  await ensureWebBuilt();
  const key = `web-test-${randomBytes(12).toString('hex')}`;
  const env: PipelineEnv = await createPipelineEnv({ API_KEYS: key, ...extra });
  let procs: PipelineProcs | undefined;
  let browser: Browser | undefined;
  let landing: WebStack['landing'] | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await landing?.close().catch(() => undefined);
    await procs?.stop().catch(() => undefined);
    await env.close().catch(() => undefined);
  };
  try {
    [procs, browser, landing] = await Promise.all([startPipeline(env, { apis: 1 }), launchChromium(), startLandingSite()]);
  } catch (err) {
    await stop();
    throw err;
  }
  const baseUrl = procs.apiUrls[0];
  return {
    baseUrl,
    config: env.config,
    key,
    browser,
    landing,
    async createLink(body) {
      const res = await fetch(`${baseUrl}/api/shorten`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { short_code: string; short_url: string; original_url: string };
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop,
  };
}
