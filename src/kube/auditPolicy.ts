/**
 * The audit policy the harness gives the apiserver: every write to a kind cairn follows, at
 * RequestResponse level so the response carries the object's resulting uid and resourceVersion
 * (the join with the object's event); nothing else. Only the final stage is sent.
 */
export const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived', 'ResponseStarted'],
  rules: [
    {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      resources: [
        {
          group: '',
          resources: [
            'services',
            'services/status',
            'pods',
            'pods/status',
            'pods/binding',
            'namespaces',
            'namespaces/status',
            'namespaces/finalize',
            'nodes',
            'nodes/status',
          ],
        },
        { group: 'discovery.k8s.io', resources: ['endpointslices'] },
        { group: 'networking.k8s.io', resources: ['networkpolicies'] },
      ],
    },
    { level: 'None' },
  ],
} as const;
