/**
 * An incident, as the log records it: Service demo/web (10.96.0.10:80) with three endpoints;
 * bob edits its EndpointSlice by hand (one endpoint now points at 10.0.9.99, where nothing
 * listens: a third of the connections fail); alice reverts it. The API server's audit webhook
 * recorded both writes (AuditRecorded, joined by causation), as apiwatch writes them.
 */
import type { Actor, AnyEvent } from '../../src/events/envelope.js';
import type { AuditRecorded } from '../../src/events/payloads.js';
import { endpointSliceUpserted, makeEvent, serviceUpserted } from '../../src/samples/sampleEvents.js';

const actor = (name: string, manager: string | null, operation: string | null): Actor => ({
  name,
  manager,
  operation,
  userAgent: manager,
  timeMs: null,
});

function audit(of: AnyEvent, user: string, t: number, rv: string): AnyEvent {
  const payload: AuditRecorded = {
    auditID: `audit-${of.id}`,
    verb: 'update',
    user,
    groups: ['system:authenticated'],
    impersonatedUser: null,
    userAgent: 'kubectl/v1.31.0',
    sourceIPs: ['10.1.2.3'],
    kind: 'EndpointSlice',
    resource: 'endpointslices',
    subresource: null,
    apiGroup: 'discovery.k8s.io',
    namespace: 'demo',
    name: 'web-abcde',
    uid: 'uid-eps-demo-web',
    resourceVersion: rv,
    responseCode: 200,
    requestReceivedMs: t - 40,
    completedMs: t - 25,
  };
  return makeEvent('AuditRecorded', payload, {
    id: `Audit/${payload.auditID}`,
    actor: actor(user, null, 'update'),
    timeMs: t - 25,
    causation: of.id,
  });
}

/** The incident's events, with their times from `t0` on (one second apart, the edit at +10 s). */
export function incidentEvents(t0: number): { events: AnyEvent[]; edit: AnyEvent; revert: AnyEvent } {
  const at = <T extends AnyEvent>(e: T, s: number, who: Actor): T => ({
    ...e,
    timeMs: t0 + s * 1000,
    actor: who,
  });
  const controller = actor(
    'system:serviceaccount:kube-system:endpointslice-controller',
    'endpointslice-controller',
    'Update',
  );
  const good = ['10.0.1.7', '10.0.1.8', '10.0.1.9'];
  const setup = [
    at(
      makeEvent(
        'NamespaceUpserted',
        { name: 'demo', uid: 'uid-ns-demo', resourceVersion: '1', labels: {} },
        { id: 'Namespace/uid-ns-demo/1' },
      ),
      0,
      actor('alice', 'kubectl-client-side-apply', 'Update'),
    ),
    at(
      serviceUpserted('demo', 'web', '10.96.0.10', 80),
      1,
      actor('alice', 'kubectl-client-side-apply', 'Update'),
    ),
    at(endpointSliceUpserted('demo', 'web', good, 8080, '2'), 2, controller),
  ];
  const edit = at(
    endpointSliceUpserted('demo', 'web', ['10.0.1.7', '10.0.1.8', '10.0.9.99'], 8080, '3'),
    10,
    actor('bob', 'kubectl-edit', 'Update'),
  );
  const revert = at(
    endpointSliceUpserted('demo', 'web', good, 8080, '4'),
    20,
    actor('alice', 'kubectl-edit', 'Update'),
  );
  const events = [
    ...setup,
    edit,
    audit(edit, 'bob@example.com', t0 + 10_000, '3'),
    revert,
    audit(revert, 'alice@example.com', t0 + 20_000, '4'),
  ];
  return { events, edit, revert };
}
