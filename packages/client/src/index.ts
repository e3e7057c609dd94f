export { createFinderClient, type FinderClient, type FinderClientOptions } from './client.ts';
export type { ConnectionApi, ConnectionState } from './connection.ts';
export { FinderError, type ErrorCode } from './errors.ts';
export type { CompleteRegistrationInput, RegisterInput, Session, SessionApi } from './session.ts';
export type { SubscriptionSink } from './subscriptions.ts';
export { localStorageTokens, memoryTokens, tokenExpiry, type StoredSession, type TokenStorage } from './tokens.ts';
export type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
