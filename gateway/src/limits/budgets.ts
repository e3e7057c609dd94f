import type { Viewer } from '@finder/platform/auth';
import { ErrorCode } from '@finder/platform/config';
import { type Budget, createRateLimiter, type RateLimiter } from '@finder/platform/server';
import { GraphQLError, Kind, valueFromASTUntyped, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Budgets per user and per client address, kept in Redis so every gateway draws on the same ones
 * (per process, from memory, while Redis is unreachable: packages/platform/src/server/rate-limit.ts).
 *
 * They are enforced here, at the gateway, by root field, rather than in each subgraph: the gateway
 * is the one place that sees the client's address (subgraphs only get the signed viewer), every
 * operation crosses it once whatever subgraphs it touches, and it can refuse before any subgraph
 * does work. A root field's name is the public contract (docs/api.md), so the table below is as
 * stable as the API.
 *
 * - `cost`: the operation's estimated cost (operation-limits.ts), per viewer, or per address when
 *   anonymous, over HTTP and WebSocket.
 * - one budget per root field that costs CPU, mail or storage: per address for the fields used
 *   signed out (login, register, startRegistration, requestPasswordReset), per viewer (else
 *   address) for the others. A field with a `pool` draws on that field's budget: register and
 *   startRegistration are two ways to one registration (a mail each), so they share one.
 * - login guesses per account (the `input.email` it names), whichever address they come from; a
 *   login that succeeds gives its point back, so only wrong guesses use up an account's budget.
 */
export const FIELD_BUDGETS = {
  'Mutation.login': { setting: 'BUDGET_LOGIN_PER_ADDRESS', by: 'address' },
  'Mutation.register': { setting: 'BUDGET_REGISTER', by: 'address' },
  'Mutation.startRegistration': { setting: 'BUDGET_REGISTER', by: 'address', pool: 'Mutation.register' },
  'Mutation.requestPasswordReset': { setting: 'BUDGET_REQUEST_PASSWORD_RESET', by: 'address' },
  'Mutation.createUpload': { setting: 'BUDGET_CREATE_UPLOAD', by: 'viewer' },
  'Mutation.requestConversion': { setting: 'BUDGET_REQUEST_CONVERSION', by: 'viewer' },
  'Mutation.startConversation': { setting: 'BUDGET_START_CONVERSATION', by: 'viewer' },
  'Mutation.requestEngagement': { setting: 'BUDGET_REQUEST_ENGAGEMENT', by: 'viewer' },
  'Query.searchProfessionals': { setting: 'BUDGET_SEARCH_PROFESSIONALS', by: 'viewer' },
} as const satisfies Record<string, { setting: string; by: 'address' | 'viewer'; pool?: string }>;

export type BudgetSetting = (typeof FIELD_BUDGETS)[keyof typeof FIELD_BUDGETS]['setting'] | 'BUDGET_COST' | 'BUDGET_LOGIN_PER_ACCOUNT';

export interface Caller {
  viewer: Viewer | null;
  address: string;
}

export interface Charge {
  /** Login emails whose per-account point is given back if the operation succeeds. */
  loginAccounts: string[];
}

export function createBudgets(
  redis: Parameters<typeof createRateLimiter>[0],
  settings: Record<BudgetSetting, Budget>,
  /** Told of every refusal, with the budget's name (`cost`, `login-account` or a field coordinate). */
  onRefusal: (budget: string) => void = () => undefined,
) {
  const limiter = (prefix: string, budget: Budget): RateLimiter => {
    const inner = createRateLimiter(redis, { prefix: `budget:${prefix}`, ...budget });
    const consume = (key: string, points?: number) =>
      inner.consume(key, points).catch((err: unknown) => {
        if (err instanceof GraphQLError && err.extensions.code === ErrorCode.RATE_LIMITED) onRefusal(prefix);
        throw err;
      });
    return { budget: inner.budget, consume, reward: (key, points) => inner.reward(key, points), check: (key) => consume(key) };
  };
  const cost = limiter('cost', settings.BUDGET_COST);
  const loginPerAccount = limiter('login-account', settings.BUDGET_LOGIN_PER_ACCOUNT);
  const pools = new Map<string, RateLimiter>();
  const pooled = (name: string, budget: Budget): RateLimiter => pools.get(name) ?? pools.set(name, limiter(name, budget)).get(name)!;
  const fields = new Map(
    Object.entries(FIELD_BUDGETS).map(([coordinate, field]) => [
      coordinate,
      { by: field.by, limiter: pooled('pool' in field ? field.pool : coordinate, settings[field.setting]) },
    ]),
  );

  return {
    /**
     * Charges the operation against every budget it draws on, all at once; refuses with
     * RATE_LIMITED and the longest `retryAfterMs` of the budgets it exceeds.
     */
    async charge(caller: Caller, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined, estimate: number): Promise<Charge> {
      const operation = selectedOperation(document, operationName);
      const who = caller.viewer ? `user:${caller.viewer.id}` : `address:${caller.address}`;
      const charges: Promise<void>[] = [];
      if (estimate > 0) charges.push(cost.consume(who, Math.ceil(estimate)));
      const loginAccounts: string[] = [];
      if (operation) {
        const type = operation.operation === 'query' ? 'Query' : operation.operation === 'mutation' ? 'Mutation' : 'Subscription';
        for (const field of rootFields(operation, document)) {
          const coordinate = `${type}.${field.name.value}`;
          const budget = fields.get(coordinate);
          if (budget) charges.push(budget.limiter.consume(budget.by === 'address' ? `address:${caller.address}` : who));
          if (coordinate === 'Mutation.login') {
            const email = loginEmail(field, variables);
            if (email) {
              loginAccounts.push(email);
              charges.push(loginPerAccount.consume(`account:${email}`));
            }
          }
        }
      }
      const refusals = (await Promise.allSettled(charges)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (refusals.length > 0) {
        const limited = refusals.filter((e): e is GraphQLError => e instanceof GraphQLError && e.extensions.code === ErrorCode.RATE_LIMITED);
        if (limited.length < refusals.length) throw refusals.find((e) => !limited.includes(e as GraphQLError));
        throw rateLimitedFor(Math.max(...limited.map((e) => Number(e.extensions.retryAfterMs))));
      }
      return { loginAccounts };
    },
    /** A login that succeeded was no guess: its accounts get their point back. */
    async refundLogins(accounts: string[]) {
      await Promise.allSettled(accounts.map((email) => loginPerAccount.reward(`account:${email}`)));
    },
  };
}

export type Budgets = ReturnType<typeof createBudgets>;

/** The refusal clients see, over HTTP (apollo-plugin.ts adds 429 and Retry-After) and WebSocket alike. */
export function rateLimitedFor(retryAfterMs: number): GraphQLError {
  return new GraphQLError(`Too many requests: this budget is used up; retry in ${Math.ceil(retryAfterMs / 1000)} s`, {
    extensions: { code: ErrorCode.RATE_LIMITED, retryAfterMs },
  });
}

function selectedOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** The root fields an operation selects, through fragments, each occurrence (aliases included). */
function rootFields(operation: OperationDefinitionNode, document: DocumentNode): FieldNode[] {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const found: FieldNode[] = [];
  const walk = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) found.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, seen);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) walk(fragment.selectionSet, new Set(seen).add(fragment.name.value));
      }
    }
  };
  walk(operation.selectionSet, new Set());
  return found;
}

/** The account a login names (`input.email`, inline or from variables), normalised as users does. */
function loginEmail(field: FieldNode, variables: Record<string, unknown> | undefined): string | undefined {
  const input = field.arguments?.find((a) => a.name.value === 'input');
  if (!input) return undefined;
  const value = valueFromASTUntyped(input.value, variables) as { email?: unknown } | undefined;
  return typeof value?.email === 'string' ? value.email.trim().toLowerCase() : undefined;
}
