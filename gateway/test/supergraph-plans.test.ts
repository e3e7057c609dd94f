import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSubscriptionPlanner } from '../src/subscriptions/plan.ts';
import { loadSupergraph } from '../src/supergraph.ts';
import { createViewerScope } from '../src/subscriptions/viewer-scope.ts';

/** The platform's own supergraph: what its subgraphs declare decides what the gateway may share. */
const loaded = loadSupergraph(readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'));
const plan = createSubscriptionPlanner(loaded, createViewerScope(loaded.supergraphGraphQLSchema));
const planOf = (query: string) => plan(parse(query), undefined);

describe('subscription plans of the platform supergraph', () => {
  it('completes a chat message once for every participant receiving it when its other fields are public', () => {
    const messageAdded = planOf(`subscription($c: ID!) {
      messageAdded(conversationId: $c) { body sender { displayName role professionalProfile { headline rating } businessProfile { companyName } } }
    }`);
    expect(messageAdded.rest).toBeDefined();
    // Participants each have a stream of their own (the chat subgraph authorizes each) ...
    expect(messageAdded.viewerIndependent).toBe(false);
    // ... but what users and finder add to an event is the same for all of them.
    expect(messageAdded.restViewerIndependent).toBe(true);
  });

  it('completes per viewer when the plan fetches a field that depends on who asks', () => {
    const withEmail = planOf('subscription($c: ID!) { messageAdded(conversationId: $c) { body sender { displayName email } } }');
    expect(withEmail.restViewerIndependent).toBe(false);
  });
});
