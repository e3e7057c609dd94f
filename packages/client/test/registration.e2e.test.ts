import { tokenFromLink, waitForMail } from '@finder/testing/mail';
import { uniqueEmail } from '@finder/testing/ports';
import { MeDocument, StartRegistrationDocument } from '@finder/client/operations';
import { describe, expect, it } from 'vitest';
import { env, stackClient } from './helpers.ts';

describe('registration by email with the SDK', () => {
  it('asks for the link, completes with its token and is signed in, the email verified', async () => {
    const client = stackClient();
    const email = uniqueEmail('sdk-by-email');
    expect(await client.request(StartRegistrationDocument, { input: { email } })).toEqual({ startRegistration: true });
    const token = tokenFromLink((await waitForMail(env.MAIL_DIR!, email, 'complete-registration')).link);

    const session = await client.session.completeRegistration({ token, password: 'correct horse battery', displayName: 'By Email', role: 'BUSINESS' });
    expect(session).toMatchObject({ email, displayName: 'By Email', role: 'BUSINESS' });
    expect(client.session.current()?.userId).toBe(session.userId);
    const { me } = await client.request(MeDocument);
    expect(me).toMatchObject({ id: session.userId, email, emailVerified: true });
    client.close();
  });
});
