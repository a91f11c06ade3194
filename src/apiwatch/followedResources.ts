import type { FollowedKind } from './objectEvents.js';

/** Where the API serves each followed kind, across all namespaces. */
export const RESOURCE_PATHS: Readonly<Record<FollowedKind, string>> = {
  Service: '/api/v1/services',
  EndpointSlice: '/apis/discovery.k8s.io/v1/endpointslices',
  NetworkPolicy: '/apis/networking.k8s.io/v1/networkpolicies',
  Pod: '/api/v1/pods',
  Namespace: '/api/v1/namespaces',
  Node: '/api/v1/nodes',
};

/** The kind of an audited resource (`objectRef.resource` and its API group), when cairn follows it. */
export function kindOfResource(resource: string, apiGroup: string): FollowedKind | undefined {
  switch (`${apiGroup}/${resource}`) {
    case '/services':
      return 'Service';
    case '/pods':
      return 'Pod';
    case '/namespaces':
      return 'Namespace';
    case '/nodes':
      return 'Node';
    case 'discovery.k8s.io/endpointslices':
      return 'EndpointSlice';
    case 'networking.k8s.io/networkpolicies':
      return 'NetworkPolicy';
    default:
      return undefined;
  }
}
