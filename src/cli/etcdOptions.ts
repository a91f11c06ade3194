import { type Command, Option } from 'commander';
import type { Etcd3 } from 'etcd3';
import pino from 'pino';
import { connectEtcd, type EtcdConnection } from '../etcd/etcdClient.js';
import { type EtcdServer, startEtcdServer } from '../etcd/etcdServer.js';
import { EtcdEventLog } from '../events/etcdEventLog.js';

/** Options every command that talks to etcd accepts. */
export interface EtcdCliOptions {
  etcdEndpoints?: string[];
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPassword?: string;
  prefix: string;
  dataDir?: string;
}

/** Adds the etcd connection options to a command. */
export function withEtcdOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--etcd-endpoints <urls...>',
        'etcd client URLs; without them an embedded etcd is started',
      ).env('CAIRN_ETCD_ENDPOINTS'),
    )
    .addOption(
      new Option('--etcd-ca <file>', 'CA certificate (PEM) of the etcd servers').env('CAIRN_ETCD_CA'),
    )
    .addOption(
      new Option('--etcd-cert <file>', 'client certificate (PEM) for mutual TLS').env('CAIRN_ETCD_CERT'),
    )
    .addOption(new Option('--etcd-key <file>', 'client key (PEM) for mutual TLS').env('CAIRN_ETCD_KEY'))
    .addOption(new Option('--etcd-user <name>', 'etcd user').env('CAIRN_ETCD_USER'))
    .addOption(new Option('--etcd-password <password>', 'etcd password').env('CAIRN_ETCD_PASSWORD'))
    .addOption(new Option('--prefix <prefix>', 'key prefix of the log in etcd').default('/cairn/'))
    .addOption(new Option('--data-dir <dir>', 'data dir of the embedded etcd (default: a temporary one)'));
}

/** An open log and what to release when done. */
export interface OpenedLog {
  readonly log: EtcdEventLog;
  readonly client: Etcd3;
  readonly endpoints: readonly string[];
  /** The embedded etcd, when this process started one. */
  readonly embedded: EtcdServer | undefined;
  close(): Promise<void>;
}

export const logger = pino(
  { name: 'cairn', level: process.env.CAIRN_LOG_LEVEL ?? 'info' },
  pino.destination(2),
);

/**
 * Connects to the etcd named by the options, or starts an embedded one on loopback when no
 * endpoints are given (only where `allowEmbedded`: a read-only command against a fresh empty
 * etcd would show nothing).
 */
export async function openLog(options: EtcdCliOptions, allowEmbedded: boolean): Promise<OpenedLog> {
  let embedded: EtcdServer | undefined;
  let endpoints = options.etcdEndpoints ?? [];
  if (endpoints.length === 0) {
    if (!allowEmbedded)
      throw new Error('give --etcd-endpoints (or CAIRN_ETCD_ENDPOINTS): the etcd holding the log');
    embedded = await startEtcdServer(options.dataDir ? { dataDir: options.dataDir } : {});
    endpoints = [...embedded.endpoints];
    logger.info({ endpoints, dataDir: embedded.dataDir, pid: embedded.pid }, 'started embedded etcd');
  }
  const connection: EtcdConnection = {
    endpoints,
    ...(options.etcdCa ? { caFile: options.etcdCa } : {}),
    ...(options.etcdCert ? { certFile: options.etcdCert } : {}),
    ...(options.etcdKey ? { keyFile: options.etcdKey } : {}),
    ...(options.etcdUser ? { username: options.etcdUser } : {}),
    ...(options.etcdPassword ? { password: options.etcdPassword } : {}),
  };
  const client = connectEtcd(connection);
  const log = new EtcdEventLog({ client, endpoints, prefix: options.prefix });
  return {
    log,
    client,
    endpoints,
    embedded,
    async close() {
      client.close();
      await embedded?.stop();
    },
  };
}
