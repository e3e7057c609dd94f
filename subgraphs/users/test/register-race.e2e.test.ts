import { gql } from '@finder/testing/graphql-client';
import { query } from '@finder/testing/database';
import { uniqueEmail } from '@finder/testing/ports';
import { stackEnv } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';

const env = stackEnv();

describe('unique emails under concurrency', () => {
  it('gives exactly one account and 19 CONFLICTs for 20 simultaneous registrations of one email', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gql(env.PUBLIC_URL!, `mutation($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
          input: { email: i % 2 ? email : email.toUpperCase(), password: 'correct horse battery', displayName: `Racer ${i}`, role: 'BUSINESS' },
        }),
      ),
    );
    const winners = results.filter((r) => r.data?.register);
    const conflicts = results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT');
    expect(winners).toHaveLength(1);
    expect(conflicts).toHaveLength(19);

    const rows = await query<{ id: string }>(env.DATABASE_URL!, 'select id from users.users where email_normalized = $1', [email]);
    expect(rows).toEqual([{ id: winners[0]!.data!.register.user.id }]);
  });
});
