import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createClientAddress, isAddressRange } from '../src/client-address.ts';

const request = (remoteAddress: string, forwarded?: string) =>
  ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe('client address (budgets and socket caps count by it)', () => {
  const address = createClientAddress(['127.0.0.0/8', '::1/128', '10.0.0.0/8', '192.0.2.7']);

  it('takes the last X-Forwarded-For entry, which the trusted proxy appended', () => {
    expect(address(request('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
    // Whatever the client sent itself comes before nginx's entry and is ignored.
    expect(address(request('::ffff:10.1.2.3', '6.6.6.6, 203.0.113.9'))).toBe('203.0.113.9');
    expect(address(request('192.0.2.7', '198.51.100.1'))).toBe('198.51.100.1');
    expect(address(request('::1', '2001:db8::1'))).toBe('2001:db8::1');
  });

  it('ignores X-Forwarded-For from any other peer, so a client cannot pick its own address', () => {
    expect(address(request('203.0.113.50', '10.0.0.1'))).toBe('203.0.113.50');
    expect(address(request('192.0.2.8', '10.0.0.1'))).toBe('192.0.2.8');
    expect(createClientAddress(['192.0.2.7'])(request('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
  });

  it('falls back to the peer when a trusted proxy sends no X-Forwarded-For', () => {
    expect(address(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('accepts addresses and CIDR ranges as TRUSTED_PROXIES entries, nothing else', () => {
    for (const ok of ['10.0.0.0/8', '192.0.2.7', '::1/128', 'fd00::/8']) expect(isAddressRange(ok), ok).toBe(true);
    for (const bad of ['nginx', '10.0.0.0/33', '::1/129', '10.0.0.0/x', '']) expect(isAddressRange(bad), bad).toBe(false);
  });
});
