export * from './identity.ts';
export * from './require-viewer.ts';
export * from './revocations.ts';
