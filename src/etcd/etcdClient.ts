import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';

/** How to reach an etcd cluster: endpoints and, for a secured cluster, TLS and credentials. */
export interface EtcdConnection {
  readonly endpoints: readonly string[];
  /** PEM file of the CA that signed the servers' certificates. */
  readonly caFile?: string;
  /** PEM files of a client certificate and its key, for mutual TLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly username?: string;
  readonly password?: string;
  /** Deadline of one unary call; a dead server fails fast so callers can retry. */
  readonly callTimeoutMs?: number;
}

/**
 * An etcd3 client for `connection`. etcd3's own retry and circuit breaker are turned off: the
 * event log owns retries (with backoff and a typed error naming the endpoints).
 */
export function connectEtcd(connection: EtcdConnection): Etcd3 {
  const timeout = connection.callTimeoutMs ?? 5_000;
  const options: IOptions = {
    hosts: [...connection.endpoints],
    dialTimeout: timeout,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: { host: () => noop, global: noop },
  };
  if (connection.caFile || connection.certFile) {
    options.credentials = {
      rootCertificate: connection.caFile ? readFileSync(connection.caFile) : Buffer.alloc(0),
      ...(connection.certFile ? { certChain: readFileSync(connection.certFile) } : {}),
      ...(connection.keyFile ? { privateKey: readFileSync(connection.keyFile) } : {}),
    };
  }
  if (connection.username !== undefined) {
    options.auth = { username: connection.username, password: connection.password ?? '' };
  }
  return new Etcd3(options);
}
