import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SentMail {
  to: string;
  subject: string;
  text: string;
  link: string;
  kind: 'verify-email' | 'reset-password' | 'complete-registration' | 'account-exists';
  eventId: string;
}

/**
 * Waits for a mail to `to` (of `kind`) to land in the local mail folder, newest first; mails
 * already seen (their `eventId` in `except`) do not count.
 */
export async function waitForMail(
  mailDir: string,
  to: string,
  kind: SentMail['kind'],
  timeoutMs = 20_000,
  except: readonly string[] = [],
): Promise<SentMail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const files = (await readdir(mailDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort().reverse();
    for (const file of files) {
      const mail = JSON.parse(await readFile(join(mailDir, file), 'utf8')) as SentMail;
      if (mail.to.toLowerCase() === to.toLowerCase() && mail.kind === kind && !except.includes(mail.eventId)) return mail;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${kind} mail to ${to} within ${timeoutMs} ms`);
}

export const tokenFromLink = (link: string): string => {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
};
