import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepingMembership, membershipLost } from '../src/kafka/group-membership.ts';

const protocolError = (type: string) => new KafkaJSProtocolError({ message: type, type, code: 0, retriable: false } as never);

describe('group membership', () => {
  afterEach(() => vi.useRealTimers());

  it('heartbeats while the work runs, and stops when it ends', async () => {
    vi.useFakeTimers();
    const heartbeat = vi.fn(async () => undefined);
    let finish!: () => void;
    const running = keepingMembership(() => new Promise<string>((resolve) => (finish = () => resolve('done'))), heartbeat);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(heartbeat).toHaveBeenCalledTimes(3);
    finish();
    await expect(running).resolves.toBe('done');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeat).toHaveBeenCalledTimes(3);
  });

  it('survives a failing heartbeat and passes the work\'s error on', async () => {
    vi.useFakeTimers();
    const heartbeat = vi.fn(async () => {
      throw protocolError('REBALANCE_IN_PROGRESS');
    });
    const running = keepingMembership(async () => {
      await new Promise((r) => setTimeout(r, 2_500));
      throw new Error('handler failed');
    }, heartbeat);
    const outcome = expect(running).rejects.toThrow('handler failed');
    await vi.advanceTimersByTimeAsync(2_500);
    await outcome;
    expect(heartbeat).toHaveBeenCalledTimes(2);
  });

  it('finds a lost membership behind kafkajs\'s wrapping, and nothing else', () => {
    const unknownMember = protocolError('UNKNOWN_MEMBER_ID');
    const wrapped = Object.assign(new KafkaJSNonRetriableError(unknownMember), { cause: unknownMember });
    expect(membershipLost(wrapped)).toBe(unknownMember);
    expect(membershipLost(protocolError('ILLEGAL_GENERATION'))).not.toBeNull();
    expect(membershipLost(protocolError('OFFSET_OUT_OF_RANGE'))).toBeNull();
    expect(membershipLost(new Error('connection refused'))).toBeNull();
    expect(membershipLost(undefined)).toBeNull();
  });
});
