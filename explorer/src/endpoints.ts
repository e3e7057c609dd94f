/** The gateway is served by the same nginx as this page: same origin, `/graphql`. */
export function graphqlUrl(location: Pick<Location, 'origin'> = window.location): string {
  return `${location.origin}/graphql`;
}

/** The graphql-ws endpoint on the same host: `ws:` beside `http:`, `wss:` beside `https:`. */
export function graphqlWsUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}
