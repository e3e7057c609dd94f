/** Every operation of the public API as a typed document, with its result and variable types. */
export * from './__generated__/graphql.ts';
