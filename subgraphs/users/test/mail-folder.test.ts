import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMailSender } from '../src/workers/mailer.ts';

describe('the mail folder', () => {
  const mailDir = mkdtempSync(join(tmpdir(), 'finder-mail-folder-'));
  afterAll(() => rmSync(mailDir, { recursive: true, force: true }));

  it('never shows a reader a mail that is still being written', async () => {
    const sender = createMailSender({ mailDir, from: 'Finder <no-reply@finder.local>', logger: pino({ level: 'silent' }) });
    // Large mails make each write span several chunks, so a reader polling meanwhile would catch
    // a partial file if files appeared under their final name before they were complete.
    const text = 'x'.repeat(512 * 1024);
    let sending = true;
    const partial: string[] = [];
    let parsed = 0;
    const reader = (async () => {
      while (sending) {
        for (const file of (await readdir(mailDir)).filter((f) => f.endsWith('.json'))) {
          const body = await readFile(join(mailDir, file), 'utf8').catch(() => null);
          if (body === null) continue;
          try {
            JSON.parse(body);
            parsed += 1;
          } catch {
            partial.push(file);
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 40; i += 1) {
      await sender.send({ to: `reader-${i}@example.com`, subject: 'big', text, link: 'http://127.0.0.1/x?token=t', kind: 'verify-email' }, crypto.randomUUID());
    }
    sending = false;
    await reader;
    expect(partial).toEqual([]);
    expect(parsed).toBeGreaterThan(0);
    const names = await readdir(mailDir);
    expect(names.filter((f) => f.endsWith('.json'))).toHaveLength(40);
    expect(names.filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});
