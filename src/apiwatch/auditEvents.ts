import type { AnyEvent } from '../events/envelope.js';
import type { AuditRecorded } from '../events/payloads.js';
import { kindOfResource } from './followedResources.js';
import type { KubeObject } from './objectEvents.js';

/** One audit.k8s.io/v1 Event, as the API server's audit webhook sends it (the fields cairn reads). */
export interface KubeAuditEvent {
  readonly auditID?: string;
  readonly stage?: string;
  readonly requestURI?: string;
  readonly verb?: string;
  readonly user?: { username?: string; groups?: string[] };
  readonly impersonatedUser?: { username?: string } | null;
  readonly sourceIPs?: string[];
  readonly userAgent?: string;
  readonly objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  readonly responseStatus?: { code?: number };
  readonly responseObject?: KubeObject;
  readonly requestReceivedTimestamp?: string;
  readonly stageTimestamp?: string;
}

/** The Status a write may be answered with. */
interface StatusObject {
  readonly kind: 'Status';
  readonly status?: string;
  readonly details?: { uid?: string };
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Why an audit event was not recorded (not a completed, successful, persisted write of a followed kind). */
export type AuditSkip =
  | 'not-final-stage'
  | 'not-a-write'
  | 'not-followed'
  | 'failed'
  | 'dry-run'
  | 'malformed';

/**
 * The AuditRecorded event of one audit event, or why there is none. Its id is `Audit/<auditID>`
 * (a re-sent batch writes nothing twice); its causation is the id of the object event the write
 * produced — `<Kind>/<uid>/<resourceVersion>`, or `<Kind>/<uid>/deleted` when it removed the
 * object — when the response names the object.
 */
export function auditEvent(audit: KubeAuditEvent, cluster: string): AnyEvent | AuditSkip {
  if (audit.stage !== 'ResponseComplete') return 'not-final-stage';
  const verb = audit.verb ?? '';
  if (!WRITES.has(verb)) return 'not-a-write';
  const ref = audit.objectRef ?? {};
  const apiGroup = ref.apiGroup ?? '';
  const kind = ref.resource ? kindOfResource(ref.resource, apiGroup) : undefined;
  if (kind === undefined) return 'not-followed';
  const code = audit.responseStatus?.code ?? 0;
  if (code < 200 || code >= 300) return 'failed';
  if (/[?&]dryRun=/.test(audit.requestURI ?? '')) return 'dry-run';
  if (!audit.auditID || !audit.user?.username) return 'malformed';

  // Most kinds answer a completed delete with a Status naming the uid; a Status answering
  // anything else (e.g. pods/binding) names no object version.
  const response = audit.responseObject?.kind === kind ? audit.responseObject : undefined;
  const status = audit.responseObject?.kind === 'Status' ? (audit.responseObject as StatusObject) : undefined;
  const meta = response?.metadata;
  const deletedUid = verb === 'delete' && status?.status === 'Success' ? (status.details?.uid ?? null) : null;
  const uid = meta?.uid ?? deletedUid;
  const resourceVersion = meta?.resourceVersion ?? null;
  const gone = deletedUid !== null || (response !== undefined && removes(verb, response));
  const causation =
    uid === null
      ? null
      : gone
        ? `${kind}/${uid}/deleted`
        : resourceVersion
          ? `${kind}/${uid}/${resourceVersion}`
          : null;
  const completedMs = timeOf(audit.stageTimestamp);
  const payload: AuditRecorded = {
    auditID: audit.auditID,
    verb,
    user: audit.user.username,
    groups: audit.user.groups ?? [],
    impersonatedUser: audit.impersonatedUser?.username ?? null,
    userAgent: audit.userAgent ?? null,
    sourceIPs: audit.sourceIPs ?? [],
    kind,
    resource: ref.resource ?? '',
    subresource: ref.subresource ?? null,
    apiGroup,
    namespace: ref.namespace ?? meta?.namespace ?? null,
    name: ref.name ?? meta?.name ?? null,
    uid,
    resourceVersion,
    responseCode: code,
    requestReceivedMs: timeOf(audit.requestReceivedTimestamp),
    completedMs,
  };
  return {
    id: `Audit/${audit.auditID}`,
    cluster,
    source: 'apiwatch',
    actor: {
      name: audit.user.username,
      manager: fieldManagerOf(audit.requestURI),
      operation: verb,
      userAgent: audit.userAgent ?? null,
      timeMs: completedMs,
    },
    timeMs: completedMs,
    causation,
    type: 'AuditRecorded',
    payload,
  };
}

/**
 * Whether the write removed the object: a delete (or the update that drops the last finalizer)
 * leaves nothing behind unless finalizers or a pending grace period keep it.
 */
function removes(verb: string, object: KubeObject): boolean {
  const meta = object.metadata as KubeObject['metadata'] & {
    deletionTimestamp?: string;
    finalizers?: string[];
    deletionGracePeriodSeconds?: number;
  };
  if (verb !== 'delete' && !meta?.deletionTimestamp) return false;
  const finalizers =
    (meta?.finalizers?.length ?? 0) +
    (object.kind === 'Namespace' ? (object.spec?.finalizers?.length ?? 0) : 0);
  return finalizers === 0 && !((meta?.deletionGracePeriodSeconds ?? 0) > 0);
}

/** The `fieldManager` query parameter of the request, when it named one. */
function fieldManagerOf(requestURI: string | undefined): string | null {
  if (!requestURI) return null;
  try {
    return new URL(requestURI, 'https://apiserver').searchParams.get('fieldManager');
  } catch {
    return null;
  }
}

const timeOf = (time: string | undefined): number => {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
};
