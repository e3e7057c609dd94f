// The pages the users mailer links to, in a browser through nginx: /complete-registration (a link
// asked for with startRegistration) and /reset-password (asked for from the sign-in page's "Forgot
// password?"). Each link is read from the local mail folder, opened, used, and refused when used again.
// Then sign-up against a users server with REGISTRATION=email (the stack's is `direct`): it
// switches to the mailed link and answers a new and a taken email alike.
import { launchBrowser, newPerson, withScreenshots } from '@finder/testing/browser';
import { gql, ok } from '@finder/testing/graphql-client';
import { waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { startSubgraphVariant, type SubgraphVariant } from '@finder/testing/subgraph-variant';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const APP = env.PUBLIC_URL!.replace(/\/graphql$/, '');
const STEP_MS = 10_000;
const PASSWORD = 'mailed-links-password-1';
const NEW_PASSWORD = 'mailed-links-password-2';

const email = uniqueEmail('web-registrant');
const forgetful = uniqueEmail('web-forgetful');
let browser: Browser;

const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }';

const shows = (page: Page, text: string | RegExp, role: 'alert' | 'status' = 'status') =>
  page.getByRole(role).filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: STEP_MS });
const url = (page: Page, pattern: RegExp) => page.waitForURL(pattern, { timeout: STEP_MS, waitUntil: 'commit' });

async function person(name: string): Promise<Page> {
  const { page } = await newPerson(browser, name);
  page.setDefaultTimeout(STEP_MS);
  return page;
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('mailed links in the web app', () => {
  it('completes a registration from its mailed link, signed in at the end; the link works once', { timeout: 60_000 }, async () => {
    const page = await person('registrant');
    await withScreenshots('complete-registration', { registrant: page }, async () => {
      ok(await gql(env.PUBLIC_URL!, 'mutation($i: StartRegistrationInput!) { startRegistration(input: $i) }', { i: { email } }));
      const mail = await waitForMail(env.MAIL_DIR!, email, 'complete-registration');
      expect(mail.link.startsWith(`${APP}/complete-registration?token=`)).toBe(true);

      await page.goto(mail.link);
      await page.locator('input[name=role][value=PROFESSIONAL]').check();
      await page.locator('input[name=displayName]').fill('Mailed Professional');
      // The password rule, as at sign-up: the field is named and highlighted.
      await page.locator('input[name=password]').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await shows(page, /^Password: /, 'alert');
      expect(await page.locator('input[name=password]').getAttribute('aria-invalid')).toBe('true');

      await page.locator('input[name=password]').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await url(page, /\/profile\?welcome=verified/);
      // Signed in, and told nothing about verifying: the link did.
      await page.getByRole('link', { name: 'Your profile' }).waitFor();
      await shows(page, 'Welcome to Finder! Tell businesses what you do.');

      // Used: refused, with a way to ask for another. (The same password would sign in, as the
      // server answers a retried completion.)
      await page.goto(mail.link);
      await page.locator('input[name=displayName]').fill('Second Use');
      await page.locator('input[name=password]').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await shows(page, /^Link: .*already used/i, 'alert');
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await url(page, /\/sign-up$/);
    });
  });

  it('resets a password from the sign-in page to the mailed link, then signs in with the new one', { timeout: 60_000 }, async () => {
    const page = await person('forgetful');
    await withScreenshots('reset-password', { forgetful: page }, async () => {
      ok(
        await gql(env.PUBLIC_URL!, REGISTER, { i: { email: forgetful, password: PASSWORD, displayName: 'Forgetful Business', role: 'BUSINESS' } }),
      );
      await page.goto(`${APP}/sign-in`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await url(page, /\/reset-password$/);
      await page.locator('input[name=email]').fill(forgetful);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await shows(page, `If ${forgetful} has a Finder account, we sent it a link`);

      const mail = await waitForMail(env.MAIL_DIR!, forgetful, 'reset-password');
      expect(mail.link.startsWith(`${APP}/reset-password?token=`)).toBe(true);
      await page.goto(mail.link);
      await page.locator('input[name=newPassword]').fill('short');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await shows(page, /^New password: /, 'alert');
      expect(await page.locator('input[name=newPassword]').getAttribute('aria-invalid')).toBe('true');
      await page.locator('input[name=newPassword]').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set new password' }).click();
      await url(page, /\/sign-in\?reset=1/);
      await shows(page, 'Your password is changed');

      await page.locator('input[name=email]').fill(forgetful);
      await page.locator('input[name=password]').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await url(page, /\/search/);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();

      // Used: refused, with a way to ask for another.
      await page.goto(mail.link);
      await page.locator('input[name=newPassword]').fill('yet-another-password');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await shows(page, /^Link: .*already used/i, 'alert');
      await page.getByRole('link', { name: 'Ask for a new link' }).click();
      await url(page, /\/reset-password$/);
      await page.locator('input[name=email]').waitFor();
    });
  });
});

/**
 * A users server of the test's own with REGISTRATION=email behind a gateway of its own (the rest is
 * the running stack's, as in the users subgraph's registration-by-email test); the page's `/graphql`
 * requests are sent to that gateway, the app itself still comes from nginx.
 */
describe('sign-up where registration is by email', () => {
  let variant: SubgraphVariant;
  let gateway: string;

  beforeAll(async () => {
    variant = await startSubgraphVariant(env, 'users', { REGISTRATION: 'email' });
    gateway = variant.gatewayUrl;
  }, 300_000);

  afterAll(() => variant?.stop());

  it('switches to the mailed link, says the same for a taken email, and the link finishes the account', { timeout: 60_000 }, async () => {
    const page = await person('newcomer');
    // Aborted once the gateway has stopped, for what the page still asks after the test.
    await page.route(`${APP}/graphql`, (route) =>
      route.fetch({ url: gateway }).then(
        (response) => route.fulfill({ response }),
        () => route.abort(),
      ),
    );
    const fresh = uniqueEmail('web-by-email');
    const taken = uniqueEmail('web-by-email-taken');
    ok(await gql(env.PUBLIC_URL!, REGISTER, { i: { email: taken, password: PASSWORD, displayName: 'Taken', role: 'BUSINESS' } }));

    await withScreenshots('sign-up-by-email', { newcomer: page }, async () => {
      // The first attempt fills the whole form: `register` is tried, refused, and the email mailed.
      await page.goto(`${APP}/sign-up`);
      await page.locator('input[name=role][value=PROFESSIONAL]').check();
      await page.locator('input[name=displayName]').fill('By Email');
      await page.locator('input[name=email]').fill(fresh);
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      const checkInbox = (email: string) => `Check your inbox: we sent a link to ${email} to finish creating your account.`;
      await shows(page, checkInbox(fresh));
      expect(await page.getByRole('alert').count()).toBe(0);

      // Known now: the form asks for the email only, and a taken one reads the same.
      await page.getByRole('button', { name: 'try again' }).click();
      await page.locator('input[name=email]').fill(taken);
      expect(await page.locator('input[name=displayName], input[name=password]').count()).toBe(0);
      await page.getByRole('button', { name: 'Create account' }).click();
      await shows(page, checkInbox(taken));
      expect(await page.locator('main').textContent()).not.toMatch(/already|exists/i);

      // The taken email's mail points at the reset request form.
      const exists = await waitForMail(env.MAIL_DIR!, taken, 'account-exists');
      await page.goto(exists.link);
      await page.getByRole('button', { name: 'Send reset link' }).waitFor();

      const mail = await waitForMail(env.MAIL_DIR!, fresh, 'complete-registration');
      await page.goto(mail.link);
      await page.locator('input[name=displayName]').fill('By Email');
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await url(page, /\/search\?welcome=verified/);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    });
    await page.context().close();
  });
});
