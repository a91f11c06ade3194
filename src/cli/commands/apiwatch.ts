import { type Command, Option } from 'commander';
import type { Subscription } from 'rxjs';
import { type Apiwatch, startApiwatch } from '../../apiwatch/apiwatch.js';
import { type AuditReceiver, startAuditReceiver } from '../../apiwatch/auditReceiver.js';
import { startEmbeddedCluster } from '../../apiwatch/embeddedCluster.js';
import { type EtcdCliOptions, logger, openLog, withEtcdOptions } from '../etcdOptions.js';
import { formatEventJson, formatEventLine } from '../formatEvent.js';

interface ApiwatchCliOptions extends EtcdCliOptions {
  kubeconfig?: string;
  inCluster?: boolean;
  context?: string;
  cluster: string;
  auditListen?: string;
  auditCert?: string;
  auditKey?: string;
  auditClientCa?: string;
  auditToken?: string;
  quiet?: boolean;
  output: string;
}

/** `cairn apiwatch`: follow a Kubernetes API server into the log (or an embedded one). */
export function registerApiwatch(program: Command): void {
  withEtcdOptions(
    program
      .command('apiwatch')
      .description(
        'follow Services, EndpointSlices, NetworkPolicies, Pods, Namespaces and Nodes of a Kubernetes API server into the log; ' +
          'without --kubeconfig or --in-cluster, start a local kube-apiserver (scripts/build-kube.sh) and follow it',
      )
      .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the cluster to follow').env('KUBECONFIG'))
      .option('--in-cluster', "use the pod's service account (running inside the cluster)")
      .option('--context <name>', 'kubeconfig context (default: the current one)')
      .option('--cluster <name>', 'cluster name recorded in the events', 'local')
      .option('--audit-listen <host:port>', "serve the API server's audit webhook here (HTTPS)")
      .option('--audit-cert <file>', 'serving certificate of the audit webhook (PEM)')
      .option('--audit-key <file>', 'its key (PEM)')
      .option('--audit-client-ca <file>', 'accept audit clients with a certificate signed by this CA')
      .addOption(
        new Option('--audit-token <token>', 'accept audit clients sending this bearer token').env(
          'CAIRN_AUDIT_TOKEN',
        ),
      )
      .option('-q, --quiet', 'do not print the events appended')
      .addOption(
        new Option('-o, --output <format>', 'event format').choices(['text', 'json']).default('text'),
      ),
  ).action(async (options: ApiwatchCliOptions) => {
    const opened = await openLog(options, true);
    const stops: (() => Promise<void>)[] = [];
    let printing: Subscription | undefined;
    try {
      if (!options.quiet) {
        const from = (await opened.log.head()) + 1n;
        const format = options.output === 'json' ? formatEventJson : formatEventLine;
        printing = opened.log.tail(from).subscribe({
          next: (event) => process.stdout.write(`${format(event)}\n`),
          error: (error: unknown) => logger.error({ err: error }, 'printing the log failed'),
        });
      }
      let apiwatch: Apiwatch;
      if (options.kubeconfig || options.inCluster) {
        const audit = await maybeAuditReceiver(options, opened.log);
        if (audit) stops.push(() => audit.stop());
        apiwatch = await startApiwatch({
          log: opened.log,
          cluster: options.cluster,
          kubeConfig: {
            ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
            ...(options.inCluster ? { inCluster: true } : {}),
            ...(options.context ? { context: options.context } : {}),
          },
          logger,
        });
        stops.unshift(() => apiwatch.stop());
      } else {
        const embedded = await startEmbeddedCluster({
          etcdEndpoints: opened.endpoints,
          log: opened.log,
          cluster: options.cluster,
          logger,
        });
        apiwatch = embedded.apiwatch;
        stops.push(() => embedded.stop());
        logger.info(
          { kubeconfig: embedded.kubeconfigPath, server: embedded.apiserver.url },
          `embedded kube-apiserver ready: kubectl --kubeconfig ${embedded.kubeconfigPath} get services -A`,
        );
      }
      await apiwatch.synced();
      logger.info({ stats: apiwatch.stats() }, 'apiwatch synced');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    } finally {
      printing?.unsubscribe();
      for (const stop of stops) await stop();
      await opened.close();
    }
  });
}

async function maybeAuditReceiver(
  options: ApiwatchCliOptions,
  log: Parameters<typeof startAuditReceiver>[0]['log'],
): Promise<AuditReceiver | undefined> {
  if (!options.auditListen) return undefined;
  if (!options.auditCert || !options.auditKey)
    throw new Error('--audit-listen needs --audit-cert and --audit-key (the webhook is HTTPS)');
  const at = options.auditListen.lastIndexOf(':');
  const host = at > 0 ? options.auditListen.slice(0, at).replace(/^\[|\]$/g, '') : '0.0.0.0';
  const port = Number(options.auditListen.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--audit-listen ${options.auditListen}: not a host:port`);
  const receiver = await startAuditReceiver({
    log,
    cluster: options.cluster,
    certFile: options.auditCert,
    keyFile: options.auditKey,
    ...(options.auditClientCa ? { clientCaFile: options.auditClientCa } : {}),
    ...(options.auditToken ? { token: options.auditToken } : {}),
    host,
    port,
    logger,
  });
  logger.info({ url: receiver.url }, 'audit webhook receiver listening');
  return receiver;
}
