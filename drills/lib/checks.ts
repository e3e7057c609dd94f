import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { query } from '@finder/testing/database';
import { until } from '@finder/testing/processes';
import type { Follower } from './follower.ts';
import type { Load, WriteKind } from './load.ts';

/** One line of the counts table: a kind of write, or a stream of deliveries. */
export interface Count {
  what: string;
  sent: number;
  acknowledged: number;
  persisted: number;
  delivered: number | null;
  duplicates: number;
  missing: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const TABLES: Record<WriteKind, { sql: string; label: string }> = {
  message: { label: 'chat messages', sql: 'select id::text from chat.messages where id = any($1::uuid[])' },
  registration: { label: 'users registrations', sql: 'select id::text from users.users where id = any($1::uuid[])' },
  engagement: { label: 'finder engagement requests', sql: 'select id::text from finder.engagement_requests where id = any($1::uuid[])' },
  upload: { label: 'files uploads', sql: 'select id::text from files.files where id = any($1::uuid[])' },
};

/** Every acknowledged write in Postgres exactly once (its row, by the id the acknowledgement returned). */
export async function checkPersisted(load: Load, counts: Count[], checks: Check[]): Promise<void> {
  for (const kind of Object.keys(TABLES) as WriteKind[]) {
    const writes = load.writes.filter((w) => w.kind === kind);
    const acked = writes.filter((w) => w.acknowledged);
    const ids = acked.map((w) => w.id!);
    const rows = await query<{ id: string }>(load.env.DATABASE_URL!, TABLES[kind].sql, [ids]);
    const found = new Map<string, number>();
    for (const r of rows) found.set(r.id, (found.get(r.id) ?? 0) + 1);
    const missing = ids.filter((id) => !found.has(id)).length;
    const duplicates = [...found.values()].reduce((n, c) => n + c - 1, 0) + (ids.length - new Set(ids).size);
    counts.push({ what: TABLES[kind].label, sent: writes.length, acknowledged: acked.length, persisted: rows.length, delivered: null, duplicates, missing });
    checks.push({
      name: `${TABLES[kind].label}: every acknowledged write stored exactly once`,
      ok: acked.length === writes.length && missing === 0 && duplicates === 0,
      detail: `${acked.length}/${writes.length} acknowledged, ${rows.length} rows, ${missing} missing, ${duplicates} duplicated`,
    });
  }

  // Messages in the drill's conversations: nothing stored that was never acknowledged, seqs gapless.
  const conversationIds = load.conversations.map((c) => c.id);
  const stored = await query<{ conversation_id: string; seq: number }>(
    load.env.DATABASE_URL!,
    'select conversation_id::text, seq from chat.messages where conversation_id = any($1::uuid[]) order by conversation_id, seq',
    [conversationIds],
  );
  const acked = load.writes.filter((w) => w.kind === 'message' && w.acknowledged).length;
  const gaps = conversationIds.filter((id) => {
    const seqs = stored.filter((r) => r.conversation_id === id).map((r) => r.seq);
    return seqs.some((s, i) => s !== i + 1);
  });
  checks.push({
    name: 'chat: no unacknowledged message stored; seqs run 1..n per conversation',
    ok: stored.length === acked && gaps.length === 0,
    detail: `${stored.length} stored for ${acked} acknowledged; ${gaps.length} conversations with gaps`,
  });
}

/** Each stream's expected seqs 1..n, from Postgres: what every follower must have received once, in order. */
export async function checkDelivered(load: Load, counts: Count[], checks: Check[], timeoutMs: number): Promise<void> {
  const expected = new Map<Follower, number>();
  const messages = await query<{ id: string; n: number }>(
    load.env.DATABASE_URL!,
    'select conversation_id::text as id, count(*)::int as n from chat.messages where conversation_id = any($1::uuid[]) group by 1',
    [load.conversations.map((c) => c.id)],
  );
  for (const [id, follower] of load.messageFollowers) expected.set(follower, messages.find((m) => m.id === id)?.n ?? 0);
  const notifications = await query<{ id: string; n: number }>(
    load.env.DATABASE_URL!,
    'select user_id::text as id, count(*)::int as n from finder.notifications where user_id = any($1::uuid[]) group by 1',
    [load.professionals.map((p) => p.id)],
  );
  for (const [id, follower] of load.notificationFollowers) expected.set(follower, notifications.find((m) => m.id === id)?.n ?? 0);

  await until(async () => [...expected].every(([f, n]) => f.last() >= n), timeoutMs, 'every follower caught up').catch(() => undefined);

  const engagements = load.writes.filter((w) => w.kind === 'engagement' && w.acknowledged).length;
  const notified = notifications.reduce((n, r) => n + r.n, 0);
  checks.push({
    name: 'finder: one notification per acknowledged engagement request',
    ok: notified === engagements,
    detail: `${notified} notifications for ${engagements} requests`,
  });

  const tally = (followers: Follower[], what: string, persisted: number) => {
    let delivered = 0;
    let duplicates = 0;
    let missing = 0;
    const broken: string[] = [];
    for (const f of followers) {
      const n = expected.get(f)!;
      const seen = new Set<number>();
      let previous = 0;
      let disorder = 0;
      for (const seq of f.seqs) {
        if (seen.has(seq)) duplicates++;
        else if (seq < previous) disorder++;
        seen.add(seq);
        previous = Math.max(previous, seq);
      }
      const lost = Array.from({ length: n }, (_, i) => i + 1).filter((s) => !seen.has(s)).length;
      delivered += f.seqs.length;
      missing += lost;
      if (lost || disorder || f.seqs.length !== seen.size || f.refusals.length) {
        broken.push(`${f.label}: ${f.seqs.length} events for ${n}, ${lost} missing, ${disorder} out of order, refusals ${f.refusals.slice(0, 2).join('; ')}`);
      }
    }
    const reconnects = followers.reduce((r, f) => r + f.reconnects, 0);
    counts.push({ what, sent: persisted, acknowledged: persisted, persisted, delivered, duplicates, missing });
    checks.push({
      name: `${what}: every subscriber got every event once, in order (${followers.length} subscribers, ${reconnects} resumed with after)`,
      ok: broken.length === 0,
      detail: broken.length ? broken.slice(0, 5).join(' | ') : `${delivered} delivered`,
    });
  };
  tally([...load.messageFollowers.values()], 'messageAdded deliveries', messages.reduce((n, r) => n + r.n, 0));
  tally([...load.notificationFollowers.values()], 'notificationAdded deliveries', notified);
}

/**
 * The mailer is at least once: it records a sent mail after the SMTP hand-off, so a kill between
 * the two sends that mail again (same Message-ID, derived from the event id, so receivers dedupe).
 * Checked: every acknowledged registration got its verification mail; duplicates are counted.
 */
export async function checkMail(load: Load, counts: Count[], checks: Check[], timeoutMs: number): Promise<void> {
  const emails = load.writes.filter((w) => w.kind === 'registration' && w.acknowledged).map((w) => w.email!.toLowerCase());
  const dir = load.env.MAIL_DIR!;
  const received = async () => {
    const byRecipient = new Map<string, number>();
    const wanted = new Set(emails);
    for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))) {
      const mail = JSON.parse(await readFile(join(dir, file), 'utf8')) as { to: string; kind: string };
      const to = mail.to.toLowerCase();
      if (mail.kind === 'verify-email' && wanted.has(to)) byRecipient.set(to, (byRecipient.get(to) ?? 0) + 1);
    }
    return byRecipient;
  };
  let mails = await received();
  await until(async () => (mails = await received()).size === emails.length, timeoutMs, 'every verification mail').catch(() => undefined);
  const sent = await query<{ n: number }>(
    load.env.DATABASE_URL!,
    `select count(*)::int as n from users.sent_mail m join users.users u on u.email = m.recipient where lower(u.email) = any($1) and m.kind = 'verify-email'`,
    [emails],
  );
  const total = [...mails.values()].reduce((a, b) => a + b, 0);
  const duplicates = total - mails.size;
  counts.push({ what: 'verification mail', sent: emails.length, acknowledged: emails.length, persisted: sent[0]!.n, delivered: total, duplicates, missing: emails.length - mails.size });
  checks.push({
    name: 'mailer: every acknowledged registration got its verification mail (at least once)',
    ok: mails.size === emails.length && sent[0]!.n === emails.length,
    detail: `${mails.size}/${emails.length} recipients, ${total} mails, ${duplicates} duplicates, ${sent[0]!.n} recorded in users.sent_mail`,
  });
}
