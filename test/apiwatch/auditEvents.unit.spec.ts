import { describe, expect, it } from 'vitest';
import { auditEvent, type KubeAuditEvent } from '../../src/apiwatch/auditEvents.js';

const base: KubeAuditEvent = {
  auditID: 'a-1',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/demo/services?fieldManager=kubectl-create',
  verb: 'create',
  user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
  sourceIPs: ['127.0.0.1'],
  userAgent: 'kubectl/v1.32.4',
  objectRef: { resource: 'services', namespace: 'demo', name: 'web', apiGroup: '' },
  responseStatus: { code: 201 },
  responseObject: {
    kind: 'Service',
    metadata: { name: 'web', namespace: 'demo', uid: 'u-1', resourceVersion: '42' },
  },
  requestReceivedTimestamp: '2026-11-22T16:00:00.000001Z',
  stageTimestamp: '2026-11-22T16:00:00.250000Z',
};

describe('auditEvent: an audited write as an AuditRecorded event', () => {
  it('records who, from where, with what, joined to the object event it produced', () => {
    const event = auditEvent(base, 'c');
    expect(event).toMatchObject({
      id: 'Audit/a-1',
      cluster: 'c',
      source: 'apiwatch',
      type: 'AuditRecorded',
      causation: 'Service/u-1/42',
      actor: { name: 'alice', manager: 'kubectl-create', operation: 'create', userAgent: 'kubectl/v1.32.4' },
      payload: {
        auditID: 'a-1',
        verb: 'create',
        user: 'alice',
        groups: ['devs', 'system:authenticated'],
        sourceIPs: ['127.0.0.1'],
        kind: 'Service',
        resource: 'services',
        namespace: 'demo',
        name: 'web',
        uid: 'u-1',
        resourceVersion: '42',
        responseCode: 201,
        requestReceivedMs: Date.parse('2026-11-22T16:00:00.000Z'),
        completedMs: Date.parse('2026-11-22T16:00:00.250Z'),
      },
    });
  });

  it('joins an immediate delete to the delete event, a graceful one to the update it made', () => {
    const deleted = auditEvent({ ...base, verb: 'delete', responseStatus: { code: 200 } }, 'c');
    expect(typeof deleted !== 'string' && deleted.causation).toBe('Service/u-1/deleted');
    const graceful = auditEvent(
      {
        ...base,
        verb: 'delete',
        objectRef: { resource: 'pods', namespace: 'demo', name: 'p' },
        responseStatus: { code: 200 },
        responseObject: {
          kind: 'Pod',
          metadata: {
            name: 'p',
            namespace: 'demo',
            uid: 'p-1',
            resourceVersion: '50',
            deletionTimestamp: '2026-11-22T16:00:30Z',
            deletionGracePeriodSeconds: 30,
          },
        },
      } as KubeAuditEvent,
      'c',
    );
    expect(typeof graceful !== 'string' && graceful.causation).toBe('Pod/p-1/50');
    const terminating = auditEvent(
      {
        ...base,
        verb: 'delete',
        objectRef: { resource: 'namespaces', name: 'demo' },
        responseStatus: { code: 200 },
        responseObject: {
          kind: 'Namespace',
          metadata: {
            name: 'demo',
            uid: 'n-1',
            resourceVersion: '60',
            deletionTimestamp: '2026-11-22T16:00:30Z',
          },
          spec: { finalizers: ['kubernetes'] },
        } as never,
      },
      'c',
    );
    expect(typeof terminating !== 'string' && terminating.causation).toBe('Namespace/n-1/60');
    const finalized = auditEvent(
      {
        ...base,
        verb: 'update',
        objectRef: { resource: 'namespaces', subresource: 'finalize', name: 'demo' },
        responseStatus: { code: 200 },
        responseObject: {
          kind: 'Namespace',
          metadata: {
            name: 'demo',
            uid: 'n-1',
            resourceVersion: '61',
            deletionTimestamp: '2026-11-22T16:00:30Z',
          },
          spec: {},
        } as never,
      },
      'c',
    );
    expect(typeof finalized !== 'string' && finalized.causation).toBe('Namespace/n-1/deleted');
  });

  it('joins a delete answered with a Status to the delete event of the uid the Status names', () => {
    const deleted = auditEvent(
      {
        ...base,
        verb: 'delete',
        objectRef: {
          resource: 'endpointslices',
          apiGroup: 'discovery.k8s.io',
          namespace: 'demo',
          name: 'web-x',
        },
        responseStatus: { code: 200 },
        responseObject: {
          kind: 'Status',
          status: 'Success',
          details: { name: 'web-x', uid: 's-1' },
        } as never,
      },
      'c',
    );
    expect(typeof deleted !== 'string' && deleted.causation).toBe('EndpointSlice/s-1/deleted');
    expect(typeof deleted !== 'string' && deleted.payload).toMatchObject({
      uid: 's-1',
      resourceVersion: null,
    });
  });

  it('records a write whose answer names no object version without a causation', () => {
    const binding = auditEvent(
      {
        ...base,
        objectRef: { resource: 'pods', subresource: 'binding', namespace: 'demo', name: 'p' },
        responseObject: { kind: 'Status', metadata: {} } as never,
      },
      'c',
    );
    expect(typeof binding !== 'string' && binding.causation).toBeNull();
    expect(typeof binding !== 'string' && binding.payload).toMatchObject({
      subresource: 'binding',
      uid: null,
    });
  });

  it('skips what is not a completed, successful, persisted write of a followed kind', () => {
    expect(auditEvent({ ...base, stage: 'RequestReceived' }, 'c')).toBe('not-final-stage');
    expect(auditEvent({ ...base, verb: 'get' }, 'c')).toBe('not-a-write');
    expect(auditEvent({ ...base, objectRef: { resource: 'configmaps' } }, 'c')).toBe('not-followed');
    expect(auditEvent({ ...base, responseStatus: { code: 409 } }, 'c')).toBe('failed');
    expect(auditEvent({ ...base, requestURI: '/api/v1/namespaces/demo/services?dryRun=All' }, 'c')).toBe(
      'dry-run',
    );
    expect(auditEvent({ ...base, auditID: undefined } as KubeAuditEvent, 'c')).toBe('malformed');
  });
});
