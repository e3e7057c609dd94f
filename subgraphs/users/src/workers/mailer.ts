import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RetryLater } from '@finder/platform/kafka';
import type { Logger } from '@finder/platform/config';
import type { Outcome } from '@finder/platform/write';
import type { EntityManager } from '@mikro-orm/postgresql';
import nodemailer, { type Transporter } from 'nodemailer';
import type { UsersEvent } from '../events/users-events.ts';
import { COMPLETE_REGISTRATION_TTL_MS, RESET_PASSWORD_TTL_MS, VERIFY_EMAIL_TTL_MS, signLinkToken } from '../services/tokens.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  link: string;
  kind: 'verify-email' | 'reset-password' | 'complete-registration' | 'account-exists';
}

export interface MailSender {
  send(mail: Mail, eventId: string): Promise<void>;
}

/** SMTP when configured; otherwise each mail is written to a folder (`.eml` plus a `.json` summary). */
export function createMailSender(opts: { smtpUrl?: string; mailDir?: string; from: string; logger: Logger }): MailSender {
  const transport: Transporter = opts.smtpUrl
    ? nodemailer.createTransport(opts.smtpUrl)
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail, eventId) {
      // One Message-ID per event: a copy sent again after a crash is recognisably the same mail.
      const messageId = `<${eventId}@finder-realtime.mail>`;
      const info = await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, messageId });
      if (!opts.smtpUrl && opts.mailDir) {
        await mkdir(opts.mailDir, { recursive: true });
        const base = join(opts.mailDir, `${Date.now()}-${eventId}`);
        await writeWhole(`${base}.eml`, (info as unknown as { message: Buffer }).message);
        await writeWhole(`${base}.json`, JSON.stringify({ ...mail, eventId, sentAt: new Date().toISOString() }, null, 2));
      }
      // Never the link: it carries a token that signs the reader in as the recipient (reset) or
      // verifies their address, and logs are read by more people than the mailbox.
      opts.logger.info({ to: mail.to, kind: mail.kind, eventId }, 'mail sent');
    },
  };
}

/** Readers of the folder poll it: a file appears under its name only once it is complete. */
async function writeWhole(path: string, data: string | Buffer): Promise<void> {
  await writeFile(`${path}.partial`, data);
  await rename(`${path}.partial`, path);
}

export interface MailerDeps {
  em: EntityManager;
  sender: MailSender;
  appUrl: string;
  linkSecret: string;
}

/**
 * Sends verification, reset and registration mail for events the persister applied (never for a
 * rejected registration, nor for a retry that replayed an idempotency key), once per event: at least once
 * strictly (a crash between the hand-off and the `sent_mail` row sends it again, with the same
 * Message-ID, derived from the event id, so receivers can drop the copy).
 */
export function createMailHandler(deps: MailerDeps) {
  return async function handle(event: UsersEvent): Promise<void> {
    if (!sendsMail(event)) return;
    const em = deps.em.fork();
    const [row] = await em.execute<{ outcome: Outcome }[]>(
      'select outcome from users.processed_events where event_id = ?',
      [event.id],
    );
    if (!row) throw new RetryLater('event not yet applied by the persister');
    // A retry with a used idempotency key applied nothing: its first event has the mail.
    if (row.outcome.status !== 'applied' || row.outcome.replayOf) return;
    const [sent] = await em.execute<{ event_id: string }[]>('select event_id from users.sent_mail where event_id = ?', [event.id]);
    if (sent) return;
    // A registration request's mail depends on whether the email has an account: decided here,
    // after the request was answered, so the answer's timing never did.
    const hasAccount = event.type === 'registration.requested' && (await accountExists(em, event.data.emailNormalized));
    const mail = composeMail(event, deps, hasAccount);
    if (!mail) return;
    await deps.sender.send(mail, event.id);
    await em.execute('insert into users.sent_mail (event_id, kind, recipient) values (?, ?, ?) on conflict do nothing', [
      event.id,
      mail.kind,
      mail.to,
    ]);
  };
}

const sendsMail = (event: UsersEvent): boolean =>
  event.type === 'user.registered' ||
  event.type === 'registration.requested' ||
  (event.type === 'user.password_reset_requested' && event.data.userId !== null);

async function accountExists(em: EntityManager, emailNormalized: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>('select id from users.users where email_normalized = ?', [emailNormalized]);
  return rows.length > 0;
}

function composeMail(event: UsersEvent, deps: Pick<MailerDeps, 'appUrl' | 'linkSecret'>, hasAccount: boolean): Mail | null {
  if (event.type === 'registration.requested' && hasAccount) {
    // No link that signs anyone in: the owner may not be the one who asked.
    const link = `${deps.appUrl}/reset-password`;
    return {
      kind: 'account-exists',
      to: event.data.email,
      subject: 'You already have an account',
      text: `Someone asked to register a Finder Realtime account with this email address, which already has one.\n\nSign in with it instead. If you forgot its password, ask for a reset link (requestPasswordReset) here:\n${link}\n\nIf it was not you, ignore this mail; nothing was changed.\n`,
      link,
    };
  }
  if (event.type === 'registration.requested') {
    const token = signLinkToken(
      { purpose: 'complete-registration', email: event.data.email, nonce: event.data.nonce, exp: Date.now() + COMPLETE_REGISTRATION_TTL_MS },
      deps.linkSecret,
    );
    const link = `${deps.appUrl}/complete-registration?token=${encodeURIComponent(token)}`;
    return {
      kind: 'complete-registration',
      to: event.data.email,
      subject: 'Complete your registration',
      text: `Someone asked to register a Finder Realtime account with this email address.\n\nComplete your registration here (choose a password and a display name):\n${link}\n\nThe link is valid for 24 hours, works once, and stops working if a newer one is requested. If it was not you, ignore this mail.\n`,
      link,
    };
  }
  if (event.type === 'user.registered') {
    const token = signLinkToken(
      { purpose: 'verify-email', userId: event.data.userId, email: event.data.email, nonce: event.data.verificationNonce, exp: Date.now() + VERIFY_EMAIL_TTL_MS },
      deps.linkSecret,
    );
    const link = `${deps.appUrl}/verify-email?token=${encodeURIComponent(token)}`;
    return {
      kind: 'verify-email',
      to: event.data.email,
      subject: 'Confirm your email address',
      text: `Hello ${event.data.displayName},\n\nConfirm your email address for Finder Realtime:\n${link}\n\nThe link is valid for 48 hours and works once.\n`,
      link,
    };
  }
  if (event.type === 'user.password_reset_requested' && event.data.userId) {
    const token = signLinkToken(
      { purpose: 'reset-password', userId: event.data.userId, nonce: event.data.nonce, exp: Date.now() + RESET_PASSWORD_TTL_MS },
      deps.linkSecret,
    );
    const link = `${deps.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
    return {
      kind: 'reset-password',
      to: event.data.email,
      subject: 'Reset your password',
      text: `Someone asked to reset the password of your Finder Realtime account.\n\nSet a new password here:\n${link}\n\nThe link is valid for one hour, works once, and stops working if a newer one is requested. If it was not you, ignore this mail.\n`,
      link,
    };
  }
  return null;
}
