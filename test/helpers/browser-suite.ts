/**
 * The hooks and steps every browser test file shares: one web stack per file, a fresh browser context and
 * watched page per test, and the steps a person takes (sign in, follow a short link).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { PageWatch, newContext } from './browser';
import { startWebStack, type WebStack } from './web-stack';

export const tag = (): string => randomBytes(4).toString('hex');

export interface BrowserSuite {
  readonly stack: WebStack;
  readonly page: Page;
  readonly watch: PageWatch;
  /** Wraps a test body so that it also fails on any console or page error its pages reported. */
  clean(body: () => Promise<void>): () => Promise<void>;
  /** Replaces the test's page with one `width` pixels wide (a phone). */
  resize(width: number): Promise<void>;
  /** Signs in on /app with the stack's key and waits for the list. */
  signIn(): Promise<void>;
  /** Follows the short link shown on the page and waits for the landing page of `path`. */
  followShortLink(path: string): Promise<void>;
}

/** Registers the hooks in the calling describe() and returns the suite's live state. */
export function browserSuite(): BrowserSuite {
  let stack: WebStack;
  let context: BrowserContext | undefined;
  let page: Page;
  let watch: PageWatch;

  const open = async (width?: number) => {
    await context?.close();
    context = await newContext(stack.browser, stack.baseUrl, { width });
    page = await context.newPage();
    watch = new PageWatch(page);
  };

  before(async function () {
    this.timeout(240_000);
    stack = await startWebStack();
  });
  after(() => stack?.stop());
  beforeEach(() => open());
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  return {
    get stack() {
      return stack;
    },
    get page() {
      return page;
    },
    get watch() {
      return watch;
    },
    clean: (body) => async () => {
      await body();
      watch.assertClean();
    },
    resize: (width) => open(width),
    async signIn() {
      await page.goto('/app');
      await page.getByLabel('API key').fill(stack.key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your links' }).waitFor();
      await page.getByText('Signed in with a key').waitFor();
    },
    async followShortLink(path) {
      await page.getByTestId('short-link').click();
      await page.waitForURL(`${stack.landing.url}${path}`);
      assert.equal(await page.locator('#landing').textContent(), `landing ${path}`);
    },
  };
}
