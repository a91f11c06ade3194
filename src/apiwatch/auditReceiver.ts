import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import type { AnyEvent } from '../events/envelope.js';
import type { EventLog } from '../events/eventLog.js';
import { type AuditSkip, auditEvent, type KubeAuditEvent } from './auditEvents.js';
import { apiwatchMetrics } from './metrics.js';

export interface AuditReceiverOptions {
  readonly log: EventLog;
  readonly cluster: string;
  /** The receiver's serving certificate and key (PEM files). */
  readonly certFile: string;
  readonly keyFile: string;
  /** Accept clients presenting a certificate signed by this CA (PEM file)… */
  readonly clientCaFile?: string;
  /** …whose common name is one of these (default: any). */
  readonly clientNames?: readonly string[];
  /** …or a request carrying `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly host?: string;
  /** 0 or absent: a random free port. */
  readonly port?: number;
  /** Largest accepted batch, bytes. */
  readonly maxBodyBytes?: number;
  readonly logger?: pino.Logger;
}

/** An HTTPS endpoint the API server's audit webhook posts to. */
export interface AuditReceiver {
  /** https://<host>:<port>/audit */
  readonly url: string;
  readonly port: number;
  /** Counts since start. */
  readonly stats: { recorded: number; skipped: number; rejected: number };
  stop(): Promise<void>;
}

/**
 * Starts the audit webhook receiver. Every request must authenticate — a client certificate
 * signed by `clientCaFile` (and named in `clientNames`) or the bearer `token` — or gets 401.
 * Each batch's writes become AuditRecorded events; the receiver answers 200 only once they are in
 * the log, so a failed append makes the API server send the batch again (ids make that harmless).
 */
export async function startAuditReceiver(options: AuditReceiverOptions): Promise<AuditReceiver> {
  if (!options.clientCaFile && !options.token)
    throw new Error(
      'the audit receiver needs a client CA or a token: it never accepts unauthenticated requests',
    );
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const stats = { recorded: 0, skipped: 0, rejected: 0 };
  const token = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;

  const authenticated = (req: IncomingMessage): string | undefined => {
    const socket = req.socket as TLSSocket;
    if (options.clientCaFile && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      if (name && (!options.clientNames || options.clientNames.includes(name))) return `cert:${name}`;
    }
    const header = req.headers.authorization;
    if (token && header) {
      const given = Buffer.from(header);
      if (given.length === token.length && timingSafeEqual(given, token)) return 'token';
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const who = authenticated(req);
    if (!who) {
      stats.rejected++;
      apiwatchMetrics.auditRejected.inc();
      logger.warn(
        { remote: req.socket.remoteAddress, url: req.url },
        'audit webhook: unauthenticated request rejected',
      );
      req.resume();
      return reply(res, 401, 'unauthenticated');
    }
    if (req.method !== 'POST') return reply(res, 405, 'POST audit.k8s.io/v1 EventList');
    let body: string;
    try {
      body = await readLimited(req, maxBody);
    } catch (error) {
      return reply(res, 413, (error as Error).message);
    }
    let items: KubeAuditEvent[];
    try {
      const parsed = JSON.parse(body) as { kind?: string; items?: KubeAuditEvent[] };
      if (parsed.kind !== 'EventList' || !Array.isArray(parsed.items)) throw new Error('not an EventList');
      items = parsed.items;
    } catch (error) {
      logger.warn({ who, error: (error as Error).message }, 'audit webhook: undecodable batch');
      return reply(res, 400, `expected an audit.k8s.io/v1 EventList: ${(error as Error).message}`);
    }
    const events: AnyEvent[] = [];
    const skips: Partial<Record<AuditSkip, number>> = {};
    for (const item of items) {
      const converted = auditEvent(item, options.cluster);
      if (typeof converted === 'string') skips[converted] = (skips[converted] ?? 0) + 1;
      else events.push(converted);
    }
    try {
      if (events.length > 0) await options.log.append(events);
    } catch (error) {
      logger.error(
        { error: (error as Error).message, events: events.length },
        'audit webhook: append failed; the API server will retry',
      );
      return reply(res, 503, 'the event log is unavailable');
    }
    stats.recorded += events.length;
    const skipped = items.length - events.length;
    stats.skipped += skipped;
    apiwatchMetrics.auditRecorded.inc(events.length);
    if (skipped > 0) logger.debug({ skips }, 'audit webhook: skipped events');
    reply(res, 200, 'ok');
  };

  const server: Server = createServer(
    {
      cert: readFileSync(options.certFile),
      key: readFileSync(options.keyFile),
      ...(options.clientCaFile ? { ca: readFileSync(options.clientCaFile) } : {}),
      // Ask for a certificate, but let token clients through to the check above.
      requestCert: options.clientCaFile !== undefined,
      rejectUnauthorized: false,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error({ error: (error as Error)?.message }, 'audit webhook: request failed');
        if (!res.headersSent) reply(res, 500, 'internal error');
      });
    },
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}/audit`,
    port,
    stats,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(`${message}\n`);
}

function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`batch larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
