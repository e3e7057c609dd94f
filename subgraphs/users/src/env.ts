import { loadEnv, subgraphEnv } from '@finder/platform/config';
import { z } from 'zod';

export const usersEnvSchema = subgraphEnv
  .extend({
    JWT_ISSUER: z.string().default('finder-realtime'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(30 * 86_400),
    APP_URL: z.url().default('http://127.0.0.1:8080'),
    MAIL_FROM: z.string().default('Finder Realtime <no-reply@finder.local>'),
    SMTP_URL: z.url().optional(),
    MAIL_DIR: z.string().optional(),
    /**
     * How accounts are created: `direct` (register answers with a session, and so tells a taken
     * email apart) or `email` (register is refused; startRegistration mails a link that
     * completeRegistration uses, and no answer reveals an account). Default: `email` in production.
     */
    REGISTRATION: z.enum(['direct', 'email'], { message: 'must be "direct" or "email"' }).optional(),
  })
  .transform((env) => ({ ...env, REGISTRATION: env.REGISTRATION ?? (env.NODE_ENV === 'production' ? 'email' : 'direct') }));

export type UsersEnv = z.infer<typeof usersEnvSchema>;
export const loadUsersEnv = (source: NodeJS.ProcessEnv = process.env): UsersEnv => loadEnv(usersEnvSchema, source);

/**
 * The secrets each role loads (loadSecrets), and the only ones its environment holds: the server
 * verifies gateway identities, signs access tokens and verification/reset links; the mailer signs
 * links only; the persister none.
 */
export const USERS_SECRETS = {
  server: ['SUBGRAPH_IDENTITY_SECRET', 'JWT_PRIVATE_KEY', 'USERS_TOKEN_SECRET'],
  mailer: ['USERS_TOKEN_SECRET'],
} as const;

export type UsersServerEnv = UsersEnv & Record<(typeof USERS_SECRETS.server)[number], string>;
