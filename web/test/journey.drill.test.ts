// The web app end to end through nginx: a business and a professional, each in their own browser
// context, walk sign-up, verification, sign-in, search, a profile, an engagement, chat (typing,
// unread counts, read marks), a gateway SIGKILLed mid-chat, an attachment with its live thumbnail
// conversion, and a download. Each live event is awaited in the other browser for at most LIVE_MS.
// A drill: it kills a shared gateway (and `./dev up` restarts it), so vitest runs it after the suites.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPerson, withScreenshots } from '@finder/testing/browser';
import { waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { devUp } from '@finder/testing/processes';
import { ROOT_DIR, stackEnv, stackPid } from '@finder/testing/stack';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientPng } from './png.ts';

const env = stackEnv();
const APP = env.PUBLIC_URL!.replace(/\/graphql$/, '');
const GATEWAYS = env.GATEWAY_URLS!.split(',').map((u) => u.replace(/\/graphql$/, ''));
/** How long the other browser may take to show a live event. */
const LIVE_MS = 2_000;
/** Page loads and request round trips that are not live events. */
const STEP_MS = 10_000;
const PASSWORD = 'journey-password-2026';
/** SCREENSHOTS=1 keeps the journey's main screens in docs/screenshots/ (committed). */
const SHOTS_DIR = process.env.SCREENSHOTS === '1' ? join(ROOT_DIR, 'docs/screenshots') : null;

const run = Date.now().toString(36);
const business = { name: `Acme Bakery ${run}`, email: uniqueEmail('web-business') };
const professional = { name: `Priya Ledger ${run}`, email: uniqueEmail('web-professional'), keyword: `ledgerwise${run}` };

let browser: Browser;
let biz: Page;
let pro: Page;
let restart: Promise<void> | null = null;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS_DIR) return;
  mkdirSync(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`) });
}

const live = (locator: Locator) => locator.waitFor({ state: 'visible', timeout: LIVE_MS });
const shows = (locator: Locator) => locator.waitFor({ state: 'visible', timeout: STEP_MS });
const alert = (page: Page) => page.getByRole('alert').first();
const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

async function seqsOf(page: Page): Promise<number[]> {
  return page.getByTestId('message').evaluateAll((items) => items.map((li) => Number(li.getAttribute('data-seq'))));
}

async function signUp(page: Page, who: { name: string; email: string }, role: 'BUSINESS' | 'PROFESSIONAL', password = PASSWORD) {
  await page.goto(`${APP}/sign-up`);
  await page.locator(`input[name=role][value=${role}]`).check();
  await page.locator('input[name=displayName]').fill(who.name);
  await page.locator('input[name=email]').fill(who.email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** The gateway holding at least one of the browsers' sockets (gateway-1 when it holds one). */
async function gatewayWithSockets(): Promise<number> {
  for (let i = 0; i < GATEWAYS.length; i++) {
    const text = await fetch(`${GATEWAYS[i]}/metrics`).then((r) => r.text());
    const open = Number(/^ws_connections(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
    if (open > 0) return i + 1;
  }
  throw new Error('no gateway holds a browser socket');
}

/** Records in the page whether its connection indicator ever said "reconnecting". */
async function watchReconnecting(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { sawReconnecting: boolean };
    w.sawReconnecting = false;
    const check = () => {
      if (document.querySelector('.connection[data-state=reconnecting]')) w.sawReconnecting = true;
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}
const sawReconnecting = (page: Page) => page.evaluate(() => (window as unknown as { sawReconnecting: boolean }).sawReconnecting);

describe('web app journey through nginx', () => {
  beforeAll(async () => {
    browser = await launchBrowser();
    biz = (await newPerson(browser, 'business')).page;
    pro = (await newPerson(browser, 'professional')).page;
    for (const page of [biz, pro]) page.setDefaultTimeout(STEP_MS);
  });

  afterAll(async () => {
    await browser?.close();
    // Whatever happened, leave the stack with both gateways up.
    if (restart) await restart;
  });

  it('signs up, verifies, finds, engages, chats across a gateway SIGKILL, and shares a file', { timeout: 300_000 }, async () => {
    const pages = { business: biz, professional: pro };

    await withScreenshots('sign-up', pages, async () => {
      // A bad field is named, the form stays, nothing is created.
      await signUp(biz, business, 'BUSINESS', 'short');
      await shows(alert(biz));
      expect(await alert(biz).textContent()).toMatch(/^Password: /);
      expect(await biz.locator('input[name=password]').getAttribute('aria-invalid')).toBe('true');
      await shot(biz, '01-sign-up-error');
      expect(biz.url()).toContain('/sign-up');

      await biz.locator('input[name=password]').fill(PASSWORD);
      await biz.getByRole('button', { name: 'Create account' }).click();
      await biz.waitForURL(/\/search\?welcome=1/, { timeout: STEP_MS, waitUntil: 'commit' });

      await signUp(pro, professional, 'PROFESSIONAL');
      await pro.waitForURL(/\/profile\?welcome=1/, { timeout: STEP_MS, waitUntil: 'commit' });
    });

    await withScreenshots('verify', pages, async () => {
      const mail = await waitForMail(env.MAIL_DIR!, business.email, 'verify-email');
      expect(mail.link.startsWith(`${APP}/verify-email?token=`)).toBe(true);
      await biz.goto(mail.link);
      await shows(biz.getByRole('status').filter({ hasText: 'your email is verified' }));
      await shot(biz, '02-email-verified');
    });

    await withScreenshots('profile', pages, async () => {
      // Out of range: the server names the field.
      await pro.locator('input[name=headline]').fill(`Fractional CFO and ${professional.keyword} bookkeeping for bakeries`);
      await pro.locator('textarea[name=bio]').fill('Ten years of helping small food businesses with cash flow, payroll and tax.');
      await pro.locator('input[name=specialty][value=CFO]').check();
      await pro.locator('input[name=specialty][value=BOOKKEEPING]').check();
      await pro.locator('input[name=hourlyRate]').fill('20000');
      await pro.locator('input[name=yearsExperience]').fill('10');
      await pro.locator('input[name=location]').fill('Lisbon, Portugal');
      await pro.getByRole('button', { name: 'Save profile' }).click();
      await shows(alert(pro));
      expect(await alert(pro).textContent()).toMatch(/^Hourly rate: /);
      await pro.locator('input[name=hourlyRate]').fill('140');
      await pro.getByRole('button', { name: 'Save profile' }).click();
      await shows(pro.getByRole('status').filter({ hasText: 'Saved' }));
      await shot(pro, '03-professional-profile');
    });

    await withScreenshots('sign-in', pages, async () => {
      await biz.getByRole('button', { name: 'Sign out' }).click();
      await biz.waitForURL(/\/sign-in/, { timeout: STEP_MS, waitUntil: 'commit' });
      await biz.locator('input[name=email]').fill(business.email);
      await biz.locator('input[name=password]').fill('not-the-password');
      await biz.getByRole('button', { name: 'Sign in' }).click();
      await shows(alert(biz));
      await biz.locator('input[name=password]').fill(PASSWORD);
      await biz.getByRole('button', { name: 'Sign in' }).click();
      await biz.waitForURL(/\/search/, { timeout: STEP_MS, waitUntil: 'commit' });
    });

    await withScreenshots('search', pages, async () => {
      await biz.locator('input[name=q]').fill(professional.keyword);
      await biz.locator('select[name=specialty]').selectOption('CFO');
      await biz.locator('input[name=maxRate]').fill('200');
      await biz.locator('input[name=remote]').check();
      await biz.getByRole('button', { name: 'Search' }).click();
      await biz.waitForURL(/maxRate=200/, { timeout: STEP_MS, waitUntil: 'commit' });
      const result = biz.getByTestId('result').filter({ hasText: professional.name });
      await shows(result);
      await shot(biz, '04-search');
      // The same search with a rate below theirs does not find them.
      await biz.locator('input[name=maxRate]').fill('100');
      await biz.getByRole('button', { name: 'Search' }).click();
      await shows(biz.getByText('No professionals match'));
      await biz.goBack();
      await result.getByRole('link', { name: professional.name }).click();
      await shows(biz.getByRole('heading', { name: professional.name }));
      await shot(biz, '05-profile');
    });

    await withScreenshots('errors', pages, async () => {
      // Someone nobody can see: NOT_FOUND in words.
      await pro.goto(`${APP}/professionals/0190a8c2-0000-7000-8000-000000000000`);
      await shows(alert(pro));
      expect(await alert(pro).textContent()).toContain('could not find');
      // A professional cannot hire another: FORBIDDEN in words.
      await pro.goto(`${APP}/search?specialty=TAX`);
      await shows(pro.getByTestId('result').first());
      await pro.getByTestId('result').filter({ hasNotText: professional.name }).first().getByRole('link').first().click();
      await pro.locator('textarea[name=message]').fill('Can I hire myself?');
      await pro.getByRole('button', { name: 'Request engagement' }).click();
      await shows(alert(pro));
      expect(await alert(pro).textContent()).toMatch(/not allowed.*business/i);
    });

    await withScreenshots('engagement', pages, async () => {
      await pro.goto(`${APP}/engagements`);
      await shows(pro.getByRole('heading', { name: 'Engagements' }));
      await biz.locator('textarea[name=message]').fill('We need help with cash flow before the summer season.');
      await biz.getByRole('button', { name: 'Request engagement' }).click();
      await shows(biz.getByRole('status').filter({ hasText: 'Request sent' }));
      // Live in the professional's browser: the notification badge and the request itself.
      await live(pro.getByTestId('notifications-badge').filter({ hasText: '1' }));
      await live(pro.getByTestId('engagement').filter({ hasText: business.name }));
      await shot(pro, '06-engagement-request');
      await pro.getByTestId('engagement').filter({ hasText: business.name }).getByRole('button', { name: 'Accept' }).click();
      // Both land in the new conversation.
      await pro.waitForURL(/\/conversations\/[^/]+$/, { timeout: STEP_MS, waitUntil: 'commit' });
      await biz.waitForURL(pro.url(), { timeout: STEP_MS, waitUntil: 'commit' });
      await shows(biz.getByRole('heading', { name: professional.name }));
      await live(biz.getByTestId('notifications-badge').filter({ hasText: '1' }));
    });

    await withScreenshots('chat', pages, async () => {
      // The first message resumes from the history, so it reaches a page whose subscriptions are
      // still starting; typing is ephemeral, so it is watched once both pages have shown a message.
      await biz.locator('textarea[name=body]').fill('Hello Priya');
      await biz.keyboard.press('Enter');
      await live(message(pro, 'Hello Priya'));
      await shows(message(biz, 'Hello Priya'));
      await pro.locator('textarea[name=body]').pressSequentially('Hi! Happy to help.', { delay: 20 });
      await live(biz.getByTestId('typing').filter({ hasText: `${professional.name} is typing` }));
      await pro.locator('textarea[name=body]').pressSequentially(' Send me last year’s numbers.');
      await pro.keyboard.press('Enter');
      await live(message(biz, 'Happy to help'));
      await live(biz.getByTestId('typing').filter({ hasText: /^$/ }));
      await shot(biz, '07-chat');

      // Away from the conversation, the professional sees its unread count rise live.
      await pro.getByRole('link', { name: 'Messages' }).click();
      await shows(pro.getByTestId('conversation').filter({ hasText: business.name }));
      await biz.locator('textarea[name=body]').fill('Great, uploading them today.');
      await biz.keyboard.press('Enter');
      await live(pro.getByTestId('conversation').filter({ hasText: business.name }).getByTestId('unread-count').filter({ hasText: '1' }));
      await live(pro.getByTestId('messages-badge').filter({ hasText: '1' }));
      await shot(pro, '08-unread');
      // Opening it shows where the unread part starts and reads it.
      await pro.getByTestId('conversation').filter({ hasText: business.name }).click();
      await shows(pro.locator('.divider').filter({ hasText: 'New messages' }));
      await live(message(pro, 'uploading them today'));
      await pro.getByTestId('messages-badge').waitFor({ state: 'detached', timeout: LIVE_MS });
    });

    await withScreenshots('gateway-kill', pages, async () => {
      await watchReconnecting(biz);
      await watchReconnecting(pro);
      const before = (await seqsOf(biz)).length;
      const victim = await gatewayWithSockets();
      process.kill(stackPid(`gateway-${victim}`), 'SIGKILL');
      restart = devUp({ SKIP_SEED: '1' });
      // The page on the dead gateway says so, and comes back by itself.
      await expect.poll(async () => (await sawReconnecting(biz)) || (await sawReconnecting(pro)), { timeout: STEP_MS }).toBe(true);
      for (let i = 1; i <= 3; i++) {
        await biz.locator('textarea[name=body]').fill(`after the outage ${i}`);
        await biz.keyboard.press('Enter');
        await shows(message(biz, `after the outage ${i}`));
      }
      await pro.locator('textarea[name=body]').fill('still here');
      await pro.keyboard.press('Enter');
      for (const page of [biz, pro]) {
        for (const text of ['after the outage 1', 'after the outage 2', 'after the outage 3', 'still here']) await shows(message(page, text));
      }
      // No message missing, none twice, the same on both sides.
      const expected = Array.from({ length: before + 4 }, (_, i) => i + 1);
      expect(await seqsOf(biz)).toEqual(expected);
      expect(await seqsOf(pro)).toEqual(expected);
      await restart;
      restart = null;
    });

    await withScreenshots('attachment', pages, async () => {
      const png = gradientPng(640, 400);
      await biz.locator('input[type=file]').setInputFiles({ name: 'cash-flow.png', mimeType: 'image/png', buffer: png });
      const conversion = biz.getByTestId('conversion');
      await shows(conversion.and(biz.locator('[data-status=DONE]')));
      const steps = (await biz.getByTestId('conversion-steps').textContent()) ?? '';
      // Every state arrived live: queued, running with progress, done.
      expect(steps).toMatch(/^queued → (\d+% → )+done$/);
      await shows(biz.getByRole('img', { name: 'Thumbnail preview' }));
      await shot(biz, '09-attachment');
      await biz.locator('textarea[name=body]').fill('Here is the cash-flow chart');
      await biz.keyboard.press('Enter');
      // Chat may wait for the attachment's fact from files before it accepts the message; the live
      // delivery is counted from the sender's acknowledgement.
      await shows(message(biz, 'cash-flow chart'));
      const received = message(pro, 'cash-flow chart');
      // The recipient's copy comes live with its files (files resolves a message's attachments from
      // the message itself, not from the share it projects a moment later).
      await live(received);
      await live(received.locator('img.thumbnail'));
      await shot(pro, '10-attachment-received');

      const [download] = await Promise.all([
        pro.waitForEvent('download', { timeout: STEP_MS }),
        received.getByTestId('download').filter({ hasText: 'cash-flow.png' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('cash-flow.png');
      const stream = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(png)).toBe(true);
    });

    await withScreenshots('notifications', pages, async () => {
      await biz.getByRole('link', { name: /Notifications/ }).click();
      await shows(biz.getByTestId('notification').filter({ hasText: /accepted/i }));
      await biz.getByTestId('notifications-badge').waitFor({ state: 'detached', timeout: STEP_MS });
      await shot(biz, '11-notifications');
    });
  });
});
