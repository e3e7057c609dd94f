import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * Subgraph fetches over node:http(s) with keep-alive agents, each response read whole (subgraph
 * answers are JSON documents). Node's fetch (undici and WHATWG streams) and @apollo/gateway's
 * default (make-fetch-happen) each cost more CPU per fetch than the rest of a small query's
 * planning and execution; `npm run bench -- gateway` measures the difference.
 */
export function createSubgraphFetcher({ timeoutMs }: { timeoutMs: number }) {
  const agents: Record<string, HttpAgent> = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
  const parsed = new Map<string, URL>();
  return (url: string, init: SubgraphRequestInit = {}) =>
    new Promise<SubgraphResponse>((resolve, reject) => {
      let target = parsed.get(url);
      if (!target) parsed.set(url, (target = new URL(url)));
      const agent = agents[target.protocol];
      if (!agent) return reject(new Error(`unsupported subgraph URL protocol ${target.protocol}`));
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const req = send(target, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve(new SubgraphResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks)));
        });
      });
      // The whole exchange, not just the idle socket, is bounded, as AbortSignal.timeout did.
      const timer = setTimeout(() => req.destroy(new Error(`subgraph request to ${url} timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('error', fail);
      req.end(init.body);
    });
}

/** The subset of the fetch Response that @apollo/gateway's data sources read, over a buffered body. */
export class SubgraphResponse {
  readonly redirected = false;
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers = new Headers();
  readonly #body: Buffer;
  bodyUsed = false;

  constructor(url: string, status: number, statusText: string, rawHeaders: IncomingHttpHeaders, body: Buffer) {
    this.url = url;
    this.status = status;
    this.statusText = statusText;
    this.#body = body;
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) this.headers.append(name, one);
    }
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.#body.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.#body.buffer.slice(this.#body.byteOffset, this.#body.byteOffset + this.#body.byteLength) as ArrayBuffer;
  }

  clone(): SubgraphResponse {
    const copy = new SubgraphResponse(this.url, this.status, this.statusText, {}, this.#body);
    for (const [name, value] of this.headers) copy.headers.append(name, value);
    return copy;
  }
}
