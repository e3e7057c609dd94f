import { createHmac } from 'node:crypto';
import { loadEnv, pemFrom, subgraphEnv } from '@finder/platform/config';
import { z } from 'zod';

const schema = subgraphEnv.extend({
  JWT_ISSUER: z.string().default('finder-realtime'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(30 * 86_400),
  /** Signs verification and reset links; shared by the users server and the mailer only. */
  USERS_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  APP_URL: z.url().default('http://127.0.0.1:8080'),
  MAIL_FROM: z.string().default('Finder Realtime <no-reply@finder.local>'),
  SMTP_URL: z.url().optional(),
  MAIL_DIR: z.string().optional(),
});

export type UsersEnv = z.infer<typeof schema> & {
  usersTokenSecret: string;
  jwtPrivateKey: string | undefined;
};

export function loadUsersEnv(source: NodeJS.ProcessEnv = process.env): UsersEnv {
  const env = loadEnv(schema, source);
  if (env.NODE_ENV === 'production' && !env.USERS_TOKEN_SECRET) {
    process.stderr.write('Invalid configuration:\n  - USERS_TOKEN_SECRET: required in production (missing)\n');
    process.exit(1);
  }
  return {
    ...env,
    // Development derives a separate key from the identity secret rather than reusing it.
    usersTokenSecret: env.USERS_TOKEN_SECRET ?? createHmac('sha256', env.IDENTITY_SECRET).update('users-link-tokens').digest('base64url'),
    jwtPrivateKey: pemFrom(source, 'JWT_PRIVATE_KEY'),
  };
}
