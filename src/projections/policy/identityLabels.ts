import type { Labels } from '../../events/payloads.js';

/** The label Cilium gives a pod for its namespace's name. */
export const NAMESPACE_NAME_LABEL = 'k8s:io.kubernetes.pod.namespace';
/** The prefix Cilium gives a pod for each label of its namespace. */
export const NAMESPACE_LABEL_PREFIX = 'k8s:io.cilium.k8s.namespace.labels.';

/**
 * The identity-relevant labels of a pod, sorted, in Cilium's spelling: the pod's labels
 * (`k8s:key=value`), its namespace's labels and the namespace name. Everything a NetworkPolicy
 * selector can look at is in there, so selecting identities is the same as selecting pods.
 */
export function identityLabels(namespace: string, namespaceLabels: Labels, podLabels: Labels): string[] {
  const out = [`${NAMESPACE_NAME_LABEL}=${namespace}`];
  for (const [key, value] of Object.entries(namespaceLabels))
    out.push(`${NAMESPACE_LABEL_PREFIX}${key}=${value}`);
  for (const [key, value] of Object.entries(podLabels)) out.push(`k8s:${key}=${value}`);
  return out.sort();
}

/** The canonical key of a label set: equal label sets, equal keys (JSON keeps any character safe). */
export function identityKey(namespace: string, namespaceLabels: Labels, podLabels: Labels): string {
  return JSON.stringify(identityLabels(namespace, namespaceLabels, podLabels));
}
