import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCode } from '@finder/platform/config';

/**
 * Trusted documents (TRUSTED_DOCUMENTS): the gateway runs only the operations of a manifest, the
 * client SDK's generated `persisted-documents.json` (`{ "sha256:<hex>": "<document text>" }`, written
 * by the client preset of GraphQL Code Generator). A request names its document by hash, in either
 * of two forms:
 * - Apollo's persisted query extension: `extensions.persistedQuery.sha256Hash` (bare hex);
 * - GraphQL-over-HTTP's persisted documents: a top-level `documentId` (`sha256:<hex>`).
 * The text run is the manifest's. A request may also send a `query`, which must then be the
 * manifest's text for that hash. Anything else is refused before it is parsed.
 */
export interface TrustedDocuments {
  /** How many documents the manifest holds. */
  readonly size: number;
  /** The text to run for a request's fields, or the coded reason it is refused. */
  resolve(request: DocumentRequest): { query: string } | { refusal: Refusal };
}

/** The fields of a GraphQL request that name its document (over HTTP or in a graphql-ws subscribe). */
export interface DocumentRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export interface Refusal {
  code: string;
  message: string;
}

const HEX = /^[0-9a-f]{64}$/;

/** Loads and checks a manifest: every key must be `sha256:` + the SHA-256 of its text, or start-up fails. */
export function loadTrustedDocuments(path: string): TrustedDocuments {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`TRUSTED_DOCUMENTS: cannot read the manifest ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new Error(`TRUSTED_DOCUMENTS: ${path} is not a manifest (an object of "sha256:<hex>": "<document>")`);
  }
  const documents = new Map<string, string>();
  for (const [key, text] of Object.entries(manifest)) {
    const hash = key.startsWith('sha256:') ? key.slice('sha256:'.length) : key;
    if (!HEX.test(hash) || typeof text !== 'string' || sha256(text) !== hash) {
      throw new Error(`TRUSTED_DOCUMENTS: the entry ${key.slice(0, 80)} of ${path} is not the SHA-256 of its document`);
    }
    documents.set(hash, text);
  }
  return {
    size: documents.size,
    resolve(request) {
      const named = hashOf(request);
      if ('refusal' in named) return named;
      const text = documents.get(named.hash);
      if (text === undefined) {
        return { refusal: { code: 'PERSISTED_QUERY_NOT_FOUND', message: 'No trusted document has this hash' } };
      }
      const sent = request.query;
      if (sent !== undefined && sent !== null && sent !== '' && sent !== text) {
        return { refusal: { code: ErrorCode.TRUSTED_DOCUMENTS_ONLY, message: 'The query text sent is not the trusted document of its hash: send the hash alone' } };
      }
      return { query: text };
    },
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const ONLY =
  'This server runs trusted documents only: name an operation of the client SDK by its hash (extensions.persistedQuery.sha256Hash, or documentId "sha256:<hex>")';

/** The hash a request names, in either form (both forms must then agree). */
function hashOf(request: DocumentRequest): { hash: string } | { refusal: Refusal } {
  const extensions = isRecord(request.extensions) ? request.extensions : {};
  const persisted = isRecord(extensions.persistedQuery) ? extensions.persistedQuery.sha256Hash : undefined;
  const documentId = request.documentId;
  const hashes: string[] = [];
  if (persisted !== undefined) hashes.push(String(persisted).toLowerCase());
  if (documentId !== undefined && documentId !== null) {
    const id = String(documentId);
    hashes.push((id.startsWith('sha256:') ? id.slice('sha256:'.length) : id).toLowerCase());
  }
  if (hashes.length === 0) return { refusal: { code: ErrorCode.TRUSTED_DOCUMENTS_ONLY, message: ONLY } };
  if (hashes.length === 2 && hashes[0] !== hashes[1]) {
    return { refusal: { code: 'BAD_REQUEST', message: 'extensions.persistedQuery.sha256Hash and documentId name different documents' } };
  }
  return { hash: hashes[0]! };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
