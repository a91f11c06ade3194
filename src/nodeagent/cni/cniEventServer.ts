import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { AnyEvent } from '../../events/envelope.js';
import { InvalidEventError, OversizedEventError } from '../../events/errors.js';
import type { EventLog } from '../../events/eventLog.js';

/** The path the CNI plugin posts its events to. */
export const CNI_EVENTS_PATH = '/v1/cni/events';

const MAX_BODY = 1 << 20;

export interface CniEventServerOptions {
  readonly log: EventLog;
  /** Unix socket path (e.g. /run/cairn/cni.sock); a stale socket file there is replaced. */
  readonly socketPath: string;
  readonly onError?: (error: unknown) => void;
}

/** The agent's end of the plugin's event socket. */
export interface CniEventServer {
  readonly socketPath: string;
  /** Events appended through the socket since start. */
  readonly appended: number;
  close(): Promise<void>;
}

/**
 * Serves the local CNI plugin: `POST /v1/cni/events` with `{"events": [...]}` appends them to the
 * log (idempotent: the plugin's event ids repeat on retry) and answers their positions. Only CNI
 * events are accepted. The socket is the root-only file at `socketPath` (mode 0600).
 */
export async function startCniEventServer(options: CniEventServerOptions): Promise<CniEventServer> {
  let appended = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      options.onError?.(error);
      if (!response.headersSent) reply(response, 500, { error: (error as Error).message });
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST' || request.url !== CNI_EVENTS_PATH) {
      reply(response, 404, { error: `only POST ${CNI_EVENTS_PATH}` });
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      reply(response, 413, { error: `body over ${MAX_BODY} bytes` });
      return;
    }
    let events: AnyEvent[];
    try {
      events = (JSON.parse(body) as { events: AnyEvent[] }).events;
      if (!Array.isArray(events)) throw new Error('no "events" list');
      const foreign = events.find(
        (e) => e.source !== 'cni' || (e.type !== 'CniAdded' && e.type !== 'CniDeleted'),
      );
      if (foreign) throw new Error(`event ${foreign.id} is not a CNI event`);
    } catch (error) {
      reply(response, 400, { error: (error as Error).message });
      return;
    }
    try {
      const results = await options.log.append(events);
      appended += results.filter((r) => r.written).length;
      reply(response, 200, {
        results: results.map((r) => ({ position: r.position.toString(), written: r.written })),
      });
    } catch (error) {
      const invalid = error instanceof InvalidEventError || error instanceof OversizedEventError;
      if (!invalid) options.onError?.(error);
      reply(response, invalid ? 400 : 503, { error: (error as Error).message });
    }
  }

  mkdirSync(dirname(options.socketPath), { recursive: true });
  rmSync(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(options.socketPath, 0o600);
  return {
    socketPath: options.socketPath,
    get appended() {
      return appended;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
