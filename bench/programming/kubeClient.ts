/**
 * A small HTTPS client for the bench's kube-apiserver: JSON in and out over keep-alive
 * connections, with the moment the API acknowledged each write (the response's arrival), which
 * is where every latency in this bench starts.
 */
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface KubeResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** performance.now() when the response was complete: the API's acknowledgement. */
  readonly ackAt: number;
}

/** The API server answered a request with an error status. */
export class KubeRequestError extends Error {
  override readonly name = 'KubeRequestError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${detail.slice(0, 300)}`);
  }
}

export class KubeClient {
  readonly #agent: Agent;

  constructor(
    readonly url: string,
    ca: Buffer,
    private readonly token: string,
    maxSockets = 32,
  ) {
    this.#agent = new Agent({ ca, keepAlive: true, maxSockets });
  }

  /** One request; retried on 429 and 5xx (the API server sheds load under a burst of creates). */
  async send<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json') {
    for (let attempt = 0; ; attempt++) {
      const response = await this.#once<T>(method, path, body, contentType);
      if ((response.status === 429 || response.status >= 500) && attempt < 8) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      if (response.status >= 300) {
        throw new KubeRequestError(method, path, response.status, JSON.stringify(response.body));
      }
      return response;
    }
  }

  post = <T = unknown>(path: string, body: unknown) => this.send<T>('POST', path, body);
  delete = <T = unknown>(path: string) => this.send<T>('DELETE', path);
  /** RFC 6902 JSON patch. */
  patch = <T = unknown>(path: string, ops: unknown) =>
    this.send<T>('PATCH', path, ops, 'application/json-patch+json');
  get = <T = unknown>(path: string) => this.send<T>('GET', path);

  close(): void {
    this.#agent.destroy();
  }

  #once<T>(method: string, path: string, body: unknown, contentType: string): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          agent: this.#agent,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ackAt = performance.now();
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {}
            resolve({ status: res.statusCode ?? 0, body: parsed as T, ackAt });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** Runs `task` over `items` with at most `limit` in flight; resolves when all are done. */
export async function inParallel<T>(items: Iterable<T>, limit: number, task: (item: T) => Promise<void>) {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await task(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
