import type { Viewer } from '@finder/platform/auth';
import { print, type DocumentNode } from 'graphql';

/** What subgraphs authorize by: callers with the same key are, to them, the same caller. */
export function viewerKey(viewer: Viewer | null): string {
  return viewer ? `${viewer.id}\u0000${viewer.role}` : '';
}

const printed = new WeakMap<DocumentNode, string>();

/** The printed document, once per parsed document (clients share parsed documents). */
export function documentText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

const planIds = new WeakMap<object, number>();
let nextPlanId = 0;

/**
 * A subscription's plan and variables (`stableJson` of them), in few characters: what an event's
 * completion depends on besides the event when nothing in it depends on the viewer, and the upstream
 * pool's affinity. Plans are cached per document and operation name, so a plan's identity stands
 * for both.
 */
export function completionKey(plan: object, variablesJson: string): string {
  let id = planIds.get(plan);
  if (id === undefined) planIds.set(plan, (id = nextPlanId++));
  return `${id}\u0000${variablesJson}`;
}
