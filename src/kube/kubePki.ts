import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Everything a loopback kube-apiserver and apiwatch's audit webhook need to trust each other:
 * one CA, a serving certificate for each of them, a client certificate the apiserver presents to
 * the webhook, and the service-account signing key pair.
 */
export interface KubePki {
  readonly dir: string;
  /** The CA certificate every other certificate here is signed by. */
  readonly caFile: string;
  readonly caKeyFile: string;
  /** The apiserver's serving certificate (127.0.0.1, localhost, kubernetes.default.svc, …). */
  readonly apiserver: CertFiles;
  /** The audit webhook receiver's serving certificate (127.0.0.1, localhost). */
  readonly auditServer: CertFiles;
  /** The client certificate the apiserver presents to the audit webhook. */
  readonly auditClient: CertFiles;
  /** Service-account token signing key (private) and verification key (public). */
  readonly serviceAccountKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
}

/** The common name of the audit client certificate; the receiver accepts only this one. */
export const AUDIT_CLIENT_CN = 'cairn:kube-apiserver-audit';

/** Thrown when openssl is missing or refuses to make a certificate; says which and why. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}

/**
 * Generates a fresh PKI in `dir` with openssl (Debian's `openssl`): ECDSA P-256 keys, valid for
 * a year. `serviceIP` is the first address of the service range (the `kubernetes` Service).
 */
export async function createKubePki(dir: string, serviceIP = '10.96.0.1'): Promise<KubePki> {
  const caFile = join(dir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKeyFile,
    '-out',
    caFile,
    '-days',
    '3650',
    '-subj',
    '/CN=cairn-kube-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const ca = { caFile, caKeyFile };
  const apiserver = await issue(dir, ca, 'apiserver', '/CN=kube-apiserver', 'serverAuth', [
    'IP:127.0.0.1',
    `IP:${serviceIP}`,
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ]);
  const auditServer = await issue(dir, ca, 'audit-server', '/CN=cairn-apiwatch-audit', 'serverAuth', [
    'IP:127.0.0.1',
    'DNS:localhost',
  ]);
  const auditClient = await issue(dir, ca, 'audit-client', `/CN=${AUDIT_CLIENT_CN}`, 'clientAuth', []);

  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountKeyFile = join(dir, 'sa.key');
  const serviceAccountPublicKeyFile = join(dir, 'sa.pub');
  await writeFile(serviceAccountKeyFile, pair.privateKey.export({ type: 'sec1', format: 'pem' }), {
    mode: 0o600,
  });
  await writeFile(serviceAccountPublicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    dir,
    caFile,
    caKeyFile,
    apiserver,
    auditServer,
    auditClient,
    serviceAccountKeyFile,
    serviceAccountPublicKeyFile,
  };
}

async function issue(
  dir: string,
  ca: { caFile: string; caKeyFile: string },
  name: string,
  subject: string,
  usage: 'serverAuth' | 'clientAuth',
  sans: readonly string[],
): Promise<CertFiles> {
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  const ext = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage}`,
    ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
  ];
  await writeFile(extFile, `${ext.join('\n')}\n`);
  await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    subject,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.caFile,
    '-CAkey',
    ca.caKeyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '365',
    '-extfile',
    extFile,
  ]);
  return { certFile, keyFile };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args], { timeout: 30_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new PkiError("cannot run openssl (install Debian's openssl: scripts/setup.sh)");
    throw new PkiError(`openssl ${args.slice(0, 2).join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}
