import type { IncomingMessage } from 'node:http';
import { type RequestOptions, request } from 'node:https';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from './objectEvents.js';

/** One line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject;
}

/** A list response: the items and the resourceVersion to watch from. */
export interface KubeList {
  readonly metadata?: { resourceVersion?: string; continue?: string };
  readonly items?: KubeObject[];
}

/**
 * The two requests an informer makes, over the connection and credentials of a kubeconfig
 * (@kubernetes/client-node's KubeConfig: certificates, tokens, exec plugins, in-cluster config).
 */
export interface KubeApi {
  /** The API server's URL. */
  readonly server: string;
  /** GET `path` as JSON; a non-2xx answer throws KubeApiError. */
  getJson<T>(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<T>;
  /**
   * Opens a watch and yields its events in batches (whatever arrived together). Ends when the
   * server closes the stream; throws when the connection fails or stays silent for `idleMs`.
   */
  watch(
    path: string,
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
    idleMs: number,
  ): AsyncGenerator<WatchEvent[]>;
}

/** The API server answered with an error status; `reason` is the Status reason when it gave one. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** 410 Gone: the resourceVersion (or continue token) is older than the server keeps. */
export const isGoneError = (e: unknown): boolean => e instanceof KubeApiError && e.status === 410;

/** Where the kubeconfig comes from. */
export interface KubeConfigSource {
  /** A kubeconfig file. */
  readonly kubeconfig?: string;
  /** The service account of the pod this runs in. */
  readonly inCluster?: boolean;
  /** A context of the kubeconfig other than its current one. */
  readonly context?: string;
}

/** Loads a kubeconfig: the file given, in-cluster config, or the default ($KUBECONFIG, ~/.kube/config). */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const config = new KubeConfig();
  if (source.kubeconfig) config.loadFromFile(source.kubeconfig);
  else if (source.inCluster) config.loadFromCluster();
  else config.loadFromDefault();
  if (source.context) config.setCurrentContext(source.context);
  if (!config.getCurrentCluster())
    throw new Error(`no current cluster in the kubeconfig ${source.kubeconfig ?? '(default)'}`);
  return config;
}

const RESPONSE_TIMEOUT_MS = 30_000;

/** A KubeApi over `config`'s current context. */
export function kubeApi(config: KubeConfig): KubeApi {
  const server = config.getCurrentCluster()!.server.replace(/\/$/, '');
  const open = async (
    path: string,
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<IncomingMessage> => {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const options: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await config.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      // A server that accepts the connection and never answers is as good as down.
      const noAnswer = setTimeout(
        () => req.destroy(new Error(`GET ${path}: no answer in ${RESPONSE_TIMEOUT_MS} ms`)),
        RESPONSE_TIMEOUT_MS,
      );
      const req = request(url, { ...options, signal }, (res) => {
        clearTimeout(noAnswer);
        resolve(res);
      });
      req.on('error', (error) => {
        clearTimeout(noAnswer);
        reject(error);
      });
      req.end();
    });
  };
  return {
    server,
    async getJson<T>(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal) {
      const res = await open(path, query, signal);
      const body = await readBody(res);
      if ((res.statusCode ?? 0) >= 300) throw statusError(res.statusCode ?? 0, body, `GET ${path}`);
      return JSON.parse(body) as T;
    },
    async *watch(path, query, signal, idleMs) {
      const res = await open(path, { ...query, watch: 'true' }, signal);
      if ((res.statusCode ?? 0) >= 300) {
        throw statusError(res.statusCode ?? 0, await readBody(res), `watch ${path}`);
      }
      yield* watchBatches(res, idleMs, path);
    },
  };
}

async function* watchBatches(
  res: IncomingMessage,
  idleMs: number,
  path: string,
): AsyncGenerator<WatchEvent[]> {
  let queue: WatchEvent[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // A watch that stays silent past the server's timeout plus grace is a dead connection.
  let idle = setTimeout(() => res.destroy(new Error(`watch ${path} silent for ${idleMs} ms`)), idleMs);
  res.on('data', () => {
    clearTimeout(idle);
    idle = setTimeout(() => res.destroy(new Error(`watch ${path} silent for ${idleMs} ms`)), idleMs);
  });
  const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
  // readline re-emits the stream's errors; they are handled through `res` below.
  lines.on('error', () => undefined);
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      queue.push(JSON.parse(line) as WatchEvent);
    } catch {
      failure ??= new Error(`watch ${path}: undecodable line ${JSON.stringify(line.slice(0, 200))}`);
      res.destroy();
    }
    if (queue.length >= 1_000) res.pause(); // back-pressure until the batch is appended
    notify();
  });
  lines.on('close', () => {
    ended = true;
    notify();
  });
  res.on('error', (error) => {
    failure ??= error;
    notify();
  });
  res.on('aborted', () => {
    failure ??= new Error(`watch ${path}: connection aborted`);
    notify();
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        res.resume();
        yield batch;
        continue;
      }
      if (failure) throw failure;
      if (ended) {
        // A stream the server ended without a complete response is a failure, not a timeout.
        if (!res.complete) throw new Error(`watch ${path}: connection closed mid-stream`);
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearTimeout(idle);
    lines.close();
    res.destroy();
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('connection closed before the whole answer arrived'));
    });
  });
}

/** A KubeApiError from a Status body (or whatever the body was). */
export function statusError(status: number, body: string, what: string): KubeApiError {
  try {
    const parsed = JSON.parse(body) as { reason?: string; message?: string; code?: number };
    return new KubeApiError(
      status,
      parsed.reason,
      `${what}: ${status} ${parsed.reason ?? ''} ${parsed.message ?? ''}`.trim(),
    );
  } catch {
    return new KubeApiError(status, undefined, `${what}: ${status} ${body.slice(0, 200)}`);
  }
}
