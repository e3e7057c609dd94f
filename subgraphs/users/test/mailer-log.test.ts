import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMailSender } from '../src/workers/mailer.ts';

describe('the mailer log', () => {
  const mailDir = mkdtempSync(join(tmpdir(), 'finder-mail-log-'));
  afterAll(() => rmSync(mailDir, { recursive: true, force: true }));

  it('records each mail sent without its link or token, while the mail itself carries them', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const sender = createMailSender({ mailDir, from: 'Finder <no-reply@finder.local>', logger });
    const token = 'v1.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
    for (const kind of ['verify-email', 'reset-password'] as const) {
      const link = `http://127.0.0.1:8080/${kind === 'verify-email' ? 'verify-email' : 'reset-password'}?token=${encodeURIComponent(token)}`;
      await sender.send({ to: 'someone@example.com', subject: kind, text: `Open ${link}\n`, link, kind }, crypto.randomUUID());
    }
    const logged = lines.join('');
    expect(lines.map((line) => JSON.parse(line) as { msg: string; kind: string })).toMatchObject([
      { msg: 'mail sent', kind: 'verify-email' },
      { msg: 'mail sent', kind: 'reset-password' },
    ]);
    expect(logged).not.toContain('token=');
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(encodeURIComponent(token));
    // The mails themselves still carry the link.
    const eml = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    expect(eml).toHaveLength(2);
    for (const file of eml) expect(readFileSync(join(mailDir, file), 'utf8')).toContain(token.slice(0, 20));
  });
});
