import type { Message } from 'kafkajs';

/** One produce request: a topic's messages, acknowledged together (acks=-1). */
export type ProduceRequest = (topic: string, messages: Message[]) => Promise<void>;

/** What one request carries at most: well under Kafka's default 1 MiB per request. */
export const MAX_REQUEST_BYTES = 512 * 1024;

interface Queued {
  messages: Message[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Batches sends the way Kafka's own clients do while a request is on the wire: a send to a topic
 * with no produce in flight goes at once; sends made while one is in flight wait for it and then
 * go together in one request, one record batch per partition. A lone write waits for nothing, and
 * under load each request carries what queued during the previous round trip, so brokers and
 * consumers see a few large batches instead of one request and one record batch per event.
 * (kafkajs sends every `send` as its own request and has no linger.) Each caller learns the outcome
 * of the request that carried its messages; requests to a topic go one after another, in order.
 */
export function createProduceQueue(produce: ProduceRequest) {
  const topics = new Map<string, Queued[]>();

  async function drain(topic: string, queue: Queued[]): Promise<void> {
    while (queue.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < queue.length && (count === 0 || bytes + queue[count]!.bytes <= MAX_REQUEST_BYTES)) bytes += queue[count++]!.bytes;
      const carried = queue.splice(0, count);
      try {
        await produce(topic, carried.length === 1 ? carried[0]!.messages : carried.flatMap((q) => q.messages));
        for (const q of carried) q.resolve();
      } catch (err) {
        for (const q of carried) q.reject(err);
      }
    }
    topics.delete(topic);
  }

  return function send(topic: string, messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queued: Queued = { messages, bytes: messages.reduce((sum, m) => sum + sizeOf(m), 0), resolve, reject };
      const queue = topics.get(topic);
      if (queue) {
        queue.push(queued);
        return;
      }
      const fresh = [queued];
      topics.set(topic, fresh);
      void drain(topic, fresh);
    });
  };
}

function sizeOf(message: Message): number {
  const length = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : 0);
  let bytes = length(message.value) + length(message.key) + 32;
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += name.length + length(value);
  return bytes;
}
