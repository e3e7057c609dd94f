import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** True for an IP address or a CIDR range (`10.0.0.0/8`, `::1/128`). */
export function isAddressRange(range: string): boolean {
  const [address, prefix] = range.split('/');
  const family = isIP(address ?? '');
  if (family === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/**
 * The client's address, as budgets and connection caps count it: the peer's, unless the peer is
 * one of the trusted proxies (nginx), whose X-Forwarded-For names the client. Only the last entry
 * counts: nginx appends the address it saw, anything before it is whatever the client sent.
 */
export function createClientAddress(trustedProxies: string[]) {
  const trusted = new BlockList();
  for (const range of trustedProxies) {
    const [address, prefix] = range.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(prefix), type);
  }
  const isTrusted = (address: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
    const plain = mapped ?? address;
    const type = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    return isIP(plain) !== 0 && trusted.check(plain, type);
  };
  return (req: IncomingMessage): string => {
    const remote = req.socket.remoteAddress ?? 'unknown';
    if (!isTrusted(remote)) return remote;
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    return last || remote;
  };
}

export type ClientAddress = ReturnType<typeof createClientAddress>;
