import { loadEnv, subgraphEnv } from '@finder/platform/config';
import { z } from 'zod';

const schema = subgraphEnv.extend({
  /** Messages one user may send per second, across every replica. */
  CHAT_SEND_RATE_PER_SECOND: z.coerce.number().int().positive().default(50),
  /** Typing notifications one user may send per second. */
  CHAT_TYPING_RATE_PER_SECOND: z.coerce.number().int().positive().default(5),
});

export type ChatEnv = z.infer<typeof schema>;
export const loadChatEnv = (source: NodeJS.ProcessEnv = process.env): ChatEnv => loadEnv(schema, source);

/** The secrets the server loads (loadSecrets); the persister holds none. */
export const CHAT_SERVER_SECRETS = ['SUBGRAPH_IDENTITY_SECRET'] as const;

export type ChatServerEnv = ChatEnv & Record<(typeof CHAT_SERVER_SECRETS)[number], string>;
