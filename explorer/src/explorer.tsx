import { GraphiQL } from 'graphiql';
import { useEffect, useMemo, useState } from 'react';
import { createExplorerFetcher } from './fetcher.ts';
import { headersFor, type Session } from './session.ts';
import { SignIn } from './sign-in.tsx';

const DEFAULT_QUERY = `# Finder Realtime API explorer (development only).
# Sign in above: the access token goes into the Authorization header and, for
# subscriptions, into the graphql-ws connection_init payload.

query Me {
  me { id displayName role }
}

# subscription Follow($conversationId: ID!) {
#   messageAdded(conversationId: $conversationId) { seq body sender { displayName } }
# }
`;

export function Explorer() {
  const [session, setSession] = useState<Session | null>(null);
  const { fetcher, wsClient } = useMemo(() => createExplorerFetcher(session?.accessToken ?? null), [session]);
  // A new token means a new socket: the old one (and its subscriptions) goes.
  useEffect(() => () => void wsClient.dispose(), [wsClient]);

  return (
    <div className="explorer">
      <SignIn session={session} onSession={setSession} />
      <div className="explorer-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} headers={headersFor(session)} isHeadersEditorEnabled shouldPersistHeaders={false} />
      </div>
    </div>
  );
}
