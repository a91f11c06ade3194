import type { CniEnv } from './cniEnv.js';
import type { NetConf } from './netConf.js';

/** One invocation of the plugin: the environment, the parsed configuration and its raw text. */
export interface CniCall {
  readonly env: CniEnv;
  readonly conf: NetConf;
  /** The configuration exactly as received: delegated plugins get the same bytes. */
  readonly stdin: string;
  readonly now: () => number;
}

/** The pod named in CNI_ARGS (Kubernetes runtimes pass K8S_POD_NAMESPACE and K8S_POD_NAME). */
export function podOf(call: CniCall): { podNamespace: string | null; podName: string | null } {
  return {
    podNamespace: call.env.args.get('K8S_POD_NAMESPACE') || null,
    podName: call.env.args.get('K8S_POD_NAME') || null,
  };
}
