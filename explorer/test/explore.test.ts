import { gql, ok } from '@finder/testing/graphql-client';
import { launchBrowser, newPerson, withScreenshots } from '@finder/testing/browser';
import { stackEnv } from '@finder/testing/stack';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const api = env.PUBLIC_URL!;
const origin = new URL(api).origin;
/** Seeded by ./dev up (README, "Quick start"). */
const DEMO_PASSWORD = 'demo-password-2026';
const BUSINESS = 'business@demo.finder.local';
const CFO = 'cfo@demo.finder.local';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`;
const login = async (email: string) => ok(await gql(api, LOGIN, { input: { email, password: DEMO_PASSWORD } })).login.accessToken as string;

/**
 * Replaces the query (GraphiQL 4's editors are CodeMirror 5 instances, reachable from their
 * element), then waits until GraphiQL took in the new operation: it reads the operation name a
 * moment after an edit, and names the tab after it.
 */
const setQuery = async (page: Page, text: string, operationName: string) => {
  await page.evaluate((value) => {
    const editor = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { setValue(v: string): void } };
    editor.CodeMirror.setValue(value);
  }, text);
  await page.locator('.graphiql-tab-active').filter({ hasText: operationName }).waitFor();
};
const responseText = (page: Page) =>
  page.evaluate(() => {
    const editor = document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null;
    return editor?.CodeMirror.getValue() ?? '';
  });
const waitForResponse = async (page: Page, test: (text: string) => boolean, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await responseText(page);
    if (test(text)) return text;
    await page.waitForTimeout(200);
  }
  throw new Error(`no ${what} in GraphiQL's response pane after ${timeoutMs} ms; it shows: ${text.slice(0, 500)}`);
};

// A browser on a shared two-core machine: minutes, not seconds, when it is loaded.
describe('the API explorer at /explore', { timeout: 180_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the page asked for, WebSockets included. */
  const requested: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    ({ context, page } = await newPerson(browser, 'explorer'));
    context.setDefaultTimeout(90_000);
    context.on('request', (request) => void requested.push(request.url()));
    page.on('websocket', (socket) => void requested.push(socket.url()));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('loads GraphiQL with nothing requested from outside this server', async () => {
    await withScreenshots('explore-load', { explorer: page }, async () => {
      const response = await page.goto(`${origin}/explore`);
      expect(response?.status()).toBe(200);
      expect(page.url()).toBe(`${origin}/explore/`);
      await page.locator('.graphiql-container').waitFor();
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    });
    await page.waitForLoadState('networkidle');
    const foreign = requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith(`${origin.replace(/^http/, 'ws')}/`) && !/^(data|blob):/.test(u));
    expect(foreign).toEqual([]);
    expect(requested.some((u) => u.startsWith(`${origin}/explore/assets/`))).toBe(true);
    // GraphiQL fetched the schema from the same origin's /graphql.
    expect(requested).toContain(`${origin}/graphql`);
  });

  it('shows a refused sign-in, then signs in with a demo account and runs a query with its token', async () => {
    await withScreenshots('explore-query', { explorer: page }, async () => {
      await page.getByLabel('Email').fill(BUSINESS);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The API's own refusal, shown as it came; still signed out.
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 30_000 }).toMatch(/\S/);
      expect(await page.getByTestId('signed-in').count()).toBe(0);

      await page.getByLabel('Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('signed-in').waitFor();
      await setQuery(page, 'query Me { me { displayName role } }', 'Me');
      await page.locator('.graphiql-execute-button').click();
      const text = await waitForResponse(page, (t) => t.includes('"me"'), 'result of Me');
      expect(JSON.parse(text)).toEqual({ data: { me: { displayName: 'Northwind Traders', role: 'BUSINESS' } } });
    });
  });

  it('runs a subscription that receives a message sent through the API meanwhile', async () => {
    const [businessToken, cfoToken] = await Promise.all([login(BUSINESS), login(CFO)]);
    const cfoId = ok(await gql(api, '{ me { id } }', {}, { token: cfoToken })).me.id as string;
    const conversationId = ok(
      await gql(api, `mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }`, { i: { participantIds: [cfoId] } }, { token: businessToken }),
    ).startConversation.id as string;

    await withScreenshots('explore-subscription', { explorer: page }, async () => {
      await setQuery(page, `subscription Follow { messageAdded(conversationId: "${conversationId}") { body sender { displayName } } }`, 'Follow');
      await page.locator('.graphiql-execute-button').click();
      // Sent until one arrives: the subscription starts streaming only once the gateway holds it.
      const body = `live from the explorer test ${Date.now()}`;
      const deadline = Date.now() + 60_000;
      let text = '';
      while (Date.now() < deadline && !text.includes(body)) {
        ok(await gql(api, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { seq } }`, { i: { conversationId, body } }, { token: cfoToken }));
        text = await waitForResponse(page, (t) => t.includes(body), 'the live message', 2_000).catch(() => '');
      }
      expect(JSON.parse(text)).toEqual({ data: { messageAdded: { body, sender: { displayName: 'Grace Hopper, fractional CFO' } } } });
    });
    expect(requested.some((u) => u === `${origin.replace(/^http/, 'ws')}/graphql`)).toBe(true);
  });
});
