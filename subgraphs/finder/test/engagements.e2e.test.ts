import { query } from '@finder/testing/database';
import { errorCodes, gql, ok } from '@finder/testing/graphql-client';
import { registerUser, type Role, type TestUser } from '@finder/testing/accounts';
import { stackEnv } from '@finder/testing/stack';
import { until } from '@finder/testing/processes';
import { connect, type TestClient } from '@finder/testing/ws-client';
import { afterAll, describe, expect, it } from 'vitest';

const env = stackEnv();
const url = env.PUBLIC_URL!;
const wsUrl = url.replace(/^http/, 'ws');

const account = (role: Role, label: string) => registerUser(url, `${label} person`, role);

/** A word no other profile has, so searches through the shared stack find exactly our professional. */
const uniqueWord = () => `zq${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 8)}`;

const UPSERT_PRO = `mutation($input: ProfessionalProfileInput!) { upsertProfessionalProfile(input: $input) { headline hourlyRate specialties rating reviewCount user { id } } }`;
const SEARCH = `query($q: String, $s: [Specialty!], $max: Int, $remote: Boolean) {
  searchProfessionals(query: $q, specialties: $s, maxHourlyRate: $max, remote: $remote) { edges { node { headline user { id displayName } } } } }`;
const REQUEST = `mutation($input: RequestEngagementInput!) { requestEngagement(input: $input) { id status business { id businessProfile { companyName } } professional { id } } }`;
const RESPOND = `mutation($input: RespondToEngagementInput!) { respondToEngagement(input: $input) { id status respondedAt } }`;
const NOTIFIED = `subscription($after: Int) { notificationAdded(after: $after) { seq kind title body read engagementRequest { id status } } }`;
const CONVERSATION_UPDATED = `subscription { conversationUpdated { id participants { id } } }`;
const START_CONVERSATION = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }`;

async function professionalWithProfile(label: string, word = uniqueWord()): Promise<TestUser & { word: string }> {
  const pro = await account('PROFESSIONAL', label);
  ok(
    await gql(
      url,
      UPSERT_PRO,
      { input: { headline: `Fractional CFO ${word}`, bio: 'Board decks and models.', specialties: ['CFO', 'FPA'], hourlyRate: 200, remote: true, yearsExperience: 12 } },
      { token: pro.token },
    ),
  );
  return { ...pro, word };
}

describe('engagements end to end through nginx, the gateway, Kafka and the persister', () => {
  const clients: TestClient[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.dispose().catch(() => undefined))));
  const subscribe = (token: string, after?: number) => {
    const client = connect(wsUrl, { authorization: `Bearer ${token}` });
    clients.push(client);
    return client.subscribe(NOTIFIED, after === undefined ? {} : { after });
  };

  /** A live `conversationUpdated` feed: proven live by a conversation with a third user, then cleared. */
  const liveConversationFeed = async (user: TestUser, witness: TestUser) => {
    const client = connect(wsUrl, { authorization: `Bearer ${user.token}` });
    clients.push(client);
    const feed = client.subscribe(CONVERSATION_UPDATED);
    // The feed has no replay: start conversations until one reaches it, so it is live from here on.
    await until(async () => {
      ok(await gql(url, START_CONVERSATION, { input: { participantIds: [witness.id] } }, { token: user.token }));
      await new Promise((r) => setTimeout(r, 250));
      return feed.events.length > 0;
    }, 30_000, 'a live conversationUpdated feed');
    const warmups = new Set(feed.events.map((e) => e.data!.conversationUpdated.id as string));
    return { updates: () => feed.events.map((e) => e.data!.conversationUpdated).filter((c) => !warmups.has(c.id)), warmups };
  };

  it('business searches, requests; the professional is notified live, accepts; the business is notified; both get the conversation', async () => {
    const pro = await professionalWithProfile('e2e-pro');
    const biz = await account('BUSINESS', 'e2e-biz');
    ok(await gql(url, `mutation { upsertBusinessProfile(input: { companyName: "Northwind Traders", industry: "Retail", size: "11-50" }) { companyName } }`, {}, { token: biz.token }));

    const found = ok(await gql(url, SEARCH, { q: `${pro.word} cfo`, remote: true }, { token: biz.token })).searchProfessionals.edges;
    expect(found.map((e: any) => e.node.user.id)).toEqual([pro.id]);
    expect(found[0].node.user.displayName).toBe('e2e-pro person');
    // The typo finds the same professional.
    const typo = ok(await gql(url, SEARCH, { q: `${pro.word.slice(0, -1)} fractionl`, s: ['CFO'] }, { token: biz.token })).searchProfessionals.edges;
    expect(typo.map((e: any) => e.node.user.id)).toContain(pro.id);

    const proFeed = subscribe(pro.token, 0);
    const bizFeed = subscribe(biz.token, 0);
    const witness = await account('BUSINESS', 'e2e-witness');
    const [bizConversations, proConversations] = await Promise.all([liveConversationFeed(biz, witness), liveConversationFeed(pro, witness)]);

    const request = ok(await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'Can you help with our Series A model?' } }, { token: biz.token })).requestEngagement;
    expect(request).toMatchObject({ status: 'PENDING', business: { id: biz.id, businessProfile: { companyName: 'Northwind Traders' } }, professional: { id: pro.id } });

    const [requested] = await proFeed.waitFor(1);
    expect(requested!.data!.notificationAdded).toMatchObject({
      seq: 1,
      kind: 'ENGAGEMENT_REQUESTED',
      read: false,
      body: expect.stringContaining('Northwind Traders'),
      engagementRequest: { id: request.id, status: 'PENDING' },
    });

    const accepted = ok(await gql(url, RESPOND, { input: { id: request.id, accept: true } }, { token: pro.token })).respondToEngagement;
    expect(accepted).toMatchObject({ id: request.id, status: 'ACCEPTED', respondedAt: expect.any(String) });
    const [toBusiness] = await bizFeed.waitFor(1);
    expect(toBusiness!.data!.notificationAdded).toMatchObject({ seq: 1, kind: 'ENGAGEMENT_ACCEPTED', engagementRequest: { id: request.id, status: 'ACCEPTED' } });

    // Finder announced the applied acceptance; chat opened the two users' conversation, live to both.
    const [bizSees, proSees] = await Promise.all(
      [bizConversations, proConversations].map((feed) => until(async () => feed.updates()[0], 30_000, 'the engagement conversation')),
    );
    expect(proSees!.id).toBe(bizSees!.id);
    const conversationId = bizSees!.id as string;
    expect(bizSees!.participants.map((p: { id: string }) => p.id).sort()).toEqual([biz.id, pro.id].sort());
    for (const who of [biz, pro]) {
      const seen = ok(await gql(url, `query($id: ID!) { conversation(id: $id) { id participants { id displayName } } me { conversations(first: 50) { edges { node { id } } } } }`, { id: conversationId }, { token: who.token }));
      expect(seen.conversation.participants.map((p: { id: string }) => p.id).sort()).toEqual([biz.id, pro.id].sort());
      expect(seen.me.conversations.edges.map((e: any) => e.node.id)).toContain(conversationId);
    }
    const linked = await query<{ id: string }>(env.DATABASE_URL!, 'select id from chat.conversations where engagement_id = $1', [request.id]);
    expect(linked).toEqual([{ id: conversationId }]);

    // Read-your-writes on the lists, and read state.
    const mine = ok(await gql(url, `{ engagementRequests(status: ACCEPTED) { edges { node { id } } } }`, {}, { token: biz.token }));
    expect(mine.engagementRequests.edges.map((e: any) => e.node.id)).toEqual([request.id]);
    expect(ok(await gql(url, `mutation { markNotificationsRead(upToSeq: 1) }`, {}, { token: pro.token })).markNotificationsRead).toBe(1);
    const list = ok(await gql(url, `{ notifications { unreadCount edges { node { seq read } } } }`, {}, { token: pro.token })).notifications;
    expect(list).toEqual({ unreadCount: 0, edges: [{ node: { seq: 1, read: true } }] });

    // A late subscriber replays from its cursor, then continues live.
    const replay = subscribe(pro.token, 0);
    expect((await replay.waitFor(1))[0]!.data!.notificationAdded.seq).toBe(1);
  });

  it('lets exactly one of two concurrent responses win; the other gets CONFLICT', async () => {
    const pro = await professionalWithProfile('race-pro');
    const biz = await account('BUSINESS', 'race-biz');
    for (let round = 0; round < 3; round++) {
      const request = ok(await gql(url, REQUEST, { input: { professionalId: pro.id, message: `round ${round}` } }, { token: biz.token })).requestEngagement;
      const results = await Promise.all([
        gql(url, RESPOND, { input: { id: request.id, accept: true } }, { token: pro.token }),
        gql(url, RESPOND, { input: { id: request.id, accept: false } }, { token: pro.token }),
        gql(url, `mutation($input: WithdrawEngagementInput!) { withdrawEngagement(input: $input) { status } }`, { input: { id: request.id } }, { token: biz.token }),
      ]);
      const winners = results.filter((r) => !r.errors);
      expect(winners, JSON.stringify(results)).toHaveLength(1);
      expect(results.filter((r) => errorCodes(r)[0] === 'CONFLICT')).toHaveLength(2);
      const [row] = await query<{ status: string }>(env.DATABASE_URL!, 'select status from finder.engagement_requests where id = $1', [request.id]);
      const winner = Object.values(winners[0]!.data as Record<string, { status: string }>)[0]!;
      expect(row!.status).toBe(winner.status);
      if (winner.status === 'ACCEPTED') {
        // The accepted request opens exactly one conversation, however the losers were handled.
        const conversations = () => query(env.DATABASE_URL!, 'select id from chat.conversations where engagement_id = $1', [request.id]);
        await until(async () => (await conversations()).length > 0, 30_000, 'the engagement conversation');
        expect(await conversations()).toHaveLength(1);
      }
    }
  });

  it('keeps one pending request per business and professional, even under concurrency', async () => {
    const pro = await professionalWithProfile('pending-pro');
    const biz = await account('BUSINESS', 'pending-biz');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gql(url, REQUEST, { input: { professionalId: pro.id, message: `attempt ${i}` } }, { token: biz.token })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => errorCodes(r)[0] === 'CONFLICT')).toHaveLength(7);
    const pending = await query<{ n: string }>(env.DATABASE_URL!, `select count(*) as n from finder.engagement_requests where business_id = $1 and status = 'PENDING'`, [biz.id]);
    expect(pending[0]!.n).toBe('1');

    // Once answered, the business may ask again.
    const id = results.find((r) => !r.errors)!.data.requestEngagement.id;
    ok(await gql(url, RESPOND, { input: { id, accept: false } }, { token: pro.token }));
    ok(await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'again' } }, { token: biz.token }));

    // An idempotent retry answers with the first request instead of CONFLICT.
    const other = await account('BUSINESS', 'retry-biz');
    const input = { professionalId: pro.id, message: 'retry me', idempotencyKey: 'req-1' };
    const first = ok(await gql(url, REQUEST, { input }, { token: other.token })).requestEngagement;
    const retried = ok(await gql(url, REQUEST, { input }, { token: other.token })).requestEngagement;
    expect(retried.id).toBe(first.id);
  });

  it('keeps rating and reviewCount exact under concurrent reviews, one review per engagement', async () => {
    const pro = await professionalWithProfile('review-pro');
    const businesses = await Promise.all(Array.from({ length: 5 }, (_, i) => account('BUSINESS', `review-biz-${i}`)));
    const engagements = await Promise.all(
      businesses.map(async (biz) => {
        const request = ok(await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'help' } }, { token: biz.token })).requestEngagement;
        ok(await gql(url, RESPOND, { input: { id: request.id, accept: true } }, { token: pro.token }));
        return { biz, id: request.id as string };
      }),
    );
    const REVIEW = `mutation($input: SubmitReviewInput!) { submitReview(input: $input) { rating } }`;
    const ratings = [5, 4, 3, 5, 4];
    const results = await Promise.all(
      engagements.flatMap(({ biz, id }, i) => [
        gql(url, REVIEW, { input: { engagementId: id, rating: ratings[i], comment: 'Great' } }, { token: biz.token }),
        gql(url, REVIEW, { input: { engagementId: id, rating: 1 } }, { token: biz.token }),
      ]),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(5);
    expect(results.filter((r) => errorCodes(r)[0] === 'CONFLICT')).toHaveLength(5);
    const [row] = await query<{ rating_sum: number; review_count: number; sum: string; n: string }>(
      env.DATABASE_URL!,
      `select p.rating_sum, p.review_count, (select sum(rating) from finder.reviews r where r.professional_id = p.user_id) as sum,
              (select count(*) from finder.reviews r where r.professional_id = p.user_id) as n
         from finder.professional_profiles p where p.user_id = $1`,
      [pro.id],
    );
    expect(row).toEqual({ rating_sum: Number(row!.sum), review_count: 5, sum: row!.sum, n: '5' });
    const profile = ok(await gql(url, `query($id: ID!) { user(id: $id) { professionalProfile { rating reviewCount } } }`, { id: pro.id }, { token: businesses[0]!.token }));
    expect(profile.user.professionalProfile.reviewCount).toBe(5);
    expect(profile.user.professionalProfile.rating).toBeCloseTo(Number(row!.sum) / 5, 2);
  });

  it('authorizes every read and write by role and party', async () => {
    const pro = await professionalWithProfile('authz-pro');
    const biz = await account('BUSINESS', 'authz-biz');
    const stranger = await account('BUSINESS', 'authz-stranger');
    const otherPro = await account('PROFESSIONAL', 'authz-other-pro');
    const request = ok(await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'hello' } }, { token: biz.token })).requestEngagement;

    expect(errorCodes(await gql(url, RESPOND, { input: { id: request.id, accept: true } }, { token: biz.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(url, RESPOND, { input: { id: request.id, accept: true } }, { token: otherPro.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'x' } }, { token: otherPro.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(url, UPSERT_PRO, { input: { headline: 'h', bio: '', specialties: ['TAX'], hourlyRate: 1, remote: true, yearsExperience: 1 } }, { token: biz.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(url, `mutation { upsertBusinessProfile(input: { companyName: "X" }) { companyName } }`, {}, { token: pro.token }))).toEqual(['FORBIDDEN']);

    const GET = `query($id: ID!) { engagementRequest(id: $id) { id } }`;
    expect(errorCodes(await gql(url, GET, { id: request.id }, { token: stranger.token }))).toEqual(['NOT_FOUND']);
    expect(ok(await gql(url, GET, { id: request.id }, { token: pro.token })).engagementRequest.id).toBe(request.id);
    const strangerList = ok(await gql(url, `{ engagementRequests { edges { node { id } } } notifications { edges { node { id } } } }`, {}, { token: stranger.token }));
    expect(strangerList).toEqual({ engagementRequests: { edges: [] }, notifications: { edges: [] } });

    // Anonymous callers get nothing, and a subscription is always the caller's own feed.
    expect(errorCodes(await gql(url, SEARCH, { q: 'cfo' }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(url, `{ notifications { unreadCount } }`))).toEqual(['UNAUTHENTICATED']);
    const strangerFeed = subscribe(stranger.token, 0);
    const proFeed = subscribe(pro.token, 0);
    await proFeed.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(strangerFeed.events).toEqual([]);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const pro = await account('PROFESSIONAL', 'bad-pro');
    const good = { headline: 'Tax advisor', bio: 'Returns.', specialties: ['TAX'], hourlyRate: 100, remote: true, yearsExperience: 3 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, hourlyRate: -5 }, 'input.hourlyRate'],
      [{ ...good, headline: 'x'.repeat(10 * 1024) }, 'input.headline'],
      [{ ...good, headline: '   ' }, 'input.headline'],
      [{ ...good, specialties: [] }, 'input.specialties'],
      [{ ...good, specialties: ['TAX', 'TAX'] }, 'input.specialties'],
      [{ ...good, yearsExperience: 200 }, 'input.yearsExperience'],
      [{ ...good, currency: 'dollars' }, 'input.currency'],
      [{ ...good, bio: 'x'.repeat(5_000) }, 'input.bio'],
    ];
    for (const [input, field] of cases) {
      const result = await gql(url, UPSERT_PRO, { input }, { token: pro.token });
      expect(errorCodes(result), field).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.field, field).toBe(field);
    }
    // Unknown specialties never reach the subgraph: the schema refuses them.
    const unknown = await gql(url, UPSERT_PRO, { input: { ...good, specialties: ['ASTROLOGY'] } }, { token: pro.token });
    expect(errorCodes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors![0]!.message).toMatch(/ASTROLOGY/);
    const rows = await query(env.DATABASE_URL!, 'select 1 from finder.professional_profiles where user_id = $1', [pro.id]);
    expect(rows).toEqual([]);

    const searchBad = await gql(url, SEARCH, { q: 'tax', max: -1 }, { token: pro.token });
    expect(errorCodes(searchBad)).toEqual(['BAD_USER_INPUT']);
    expect(searchBad.errors![0]!.extensions!.field).toBe('maxHourlyRate');
    // SQL-looking search text is just words.
    const sqlish = await gql(url, SEARCH, { q: "'; drop table finder.professional_profiles; --" }, { token: pro.token });
    expect(sqlish.errors).toBeUndefined();
    const [count] = await query<{ n: string }>(env.DATABASE_URL!, `select count(*) as n from pg_tables where schemaname = 'finder' and tablename = 'professional_profiles'`);
    expect(count!.n).toBe('1');

    const biz = await account('BUSINESS', 'bad-biz');
    const badRequest = await gql(url, REQUEST, { input: { professionalId: 'not-a-uuid', message: 'hi' } }, { token: biz.token });
    expect(badRequest.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.professionalId' });
    const nobody = await gql(url, REQUEST, { input: { professionalId: pro.id, message: 'hi' } }, { token: biz.token });
    expect(errorCodes(nobody)).toEqual(['NOT_FOUND']);
  });
});
