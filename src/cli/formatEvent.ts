import type { StoredEvent } from '../events/envelope.js';

/** A one-line summary of what an event records. */
export function summarize(event: StoredEvent): string {
  switch (event.type) {
    case 'ServiceUpserted': {
      const p = event.payload;
      const ports = p.ports.map((port) => `${port.port}/${port.protocol}`).join(',');
      return `${p.namespace}/${p.name} ${p.type} ${p.clusterIPs.join(',')} ports ${ports}`;
    }
    case 'EndpointSliceUpserted': {
      const p = event.payload;
      const ready = p.endpoints.filter((e) => e.ready !== false).length;
      return `${p.namespace}/${p.name} for ${p.serviceName ?? '?'}: ${ready}/${p.endpoints.length} ready`;
    }
    case 'PodUpserted':
      return `${event.payload.namespace}/${event.payload.name} on ${event.payload.nodeName ?? '-'} ${event.payload.podIPs.join(',')}`;
    case 'NetworkPolicyUpserted':
      return `${event.payload.namespace}/${event.payload.name} ${event.payload.policyTypes.join('+')}`;
    case 'NamespaceUpserted':
    case 'NodeUpserted':
      return event.payload.name;
    case 'ServiceDeleted':
    case 'EndpointSliceDeleted':
    case 'PodDeleted':
    case 'NetworkPolicyDeleted':
      return `${event.payload.namespace}/${event.payload.name}`;
    case 'NamespaceDeleted':
    case 'NodeDeleted':
      return event.payload.name;
    case 'CniAdded':
      return `${event.payload.node} ${event.payload.containerId.slice(0, 12)} ${event.payload.ifName} ${event.payload.ips.join(',')}`;
    case 'CniDeleted':
      return `${event.payload.node} ${event.payload.containerId.slice(0, 12)} ${event.payload.ifName}`;
    case 'AuditRecorded': {
      const p = event.payload;
      const object = `${p.resource}${p.namespace ? ` ${p.namespace}/` : ' '}${p.name ?? ''}`;
      return `${p.user} ${p.verb} ${object} -> ${p.responseCode}${p.resourceVersion ? ` rv ${p.resourceVersion}` : ''}`;
    }
    case 'OperatorAnnotated':
      return `${event.payload.subject} ${event.payload.key}=${event.payload.value ?? '(removed)'} ${event.payload.reason}`;
    default:
      return '';
  }
}

/** One line per event: position, time, source and actor, type, id, summary. */
export function formatEventLine(event: StoredEvent): string {
  const time = new Date(event.timeMs).toISOString();
  const who = event.actor.manager ? `${event.actor.name} (${event.actor.manager})` : event.actor.name;
  return `#${event.position}\t${time}\t${event.source}:${who}\t${event.type}\t${event.id}\t${summarize(event)}`;
}

/** The event as JSON (bigint positions as strings). */
export function formatEventJson(event: StoredEvent): string {
  return JSON.stringify(event, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}
