import type { EventLog } from '../../events/eventLog.js';
import type { MapName } from '../../maps/model.js';
import type { NodeAgentOptions } from '../nodeAgent.js';
import { startCniEventServer } from './cniEventServer.js';
import { EndpointAttacher } from './endpointAttacher.js';
import { DEFAULT_AGENT_SOCKET } from './netConf.js';

export interface CniAgentSideOptions {
  readonly log: EventLog;
  /** The agent backend's pin root (and capacities): the tc programs use those maps. */
  readonly pinRoot: string;
  readonly mapMaxEntries?: Partial<Record<MapName, number>>;
  /** Where the plugin posts its events (the conflist's `agentSocket`). */
  readonly socketPath?: string;
  readonly onError?: (error: unknown) => void;
}

/** The node agent's CNI duties, started together. */
export interface CniAgentSide {
  /** Pass as `NodeAgentOptions.onEndpoints`. */
  readonly onEndpoints: NonNullable<NodeAgentOptions['onEndpoints']>;
  readonly socketPath: string;
  readonly attacher: EndpointAttacher;
  /** Events the plugin appended through the socket. */
  readonly appended: () => number;
  /** Stops the socket and frees the programs' object; the tc filters stay on the veths. */
  close(): Promise<void>;
}

/**
 * Starts what the agent does for the CNI plugin: the event socket the plugin posts CniAdded and
 * CniDeleted to, and the EndpointAttacher that keeps the policy programs on every local pod's
 * veth. In `cairn agent`: create this before the NodeAgent, pass `onEndpoints` to it, close after.
 */
export async function startCniAgentSide(options: CniAgentSideOptions): Promise<CniAgentSide> {
  const attacher = EndpointAttacher.open({
    pinRoot: options.pinRoot,
    ...(options.mapMaxEntries ? { mapMaxEntries: options.mapMaxEntries } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const socketPath = options.socketPath ?? DEFAULT_AGENT_SOCKET;
  let server: Awaited<ReturnType<typeof startCniEventServer>>;
  try {
    server = await startCniEventServer({
      log: options.log,
      socketPath,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  } catch (error) {
    attacher.close();
    throw error;
  }
  return {
    onEndpoints: (upserts, deletes, replace) => attacher.update(upserts, deletes, replace),
    socketPath,
    attacher,
    appended: () => server.appended,
    async close() {
      await server.close();
      attacher.close();
    },
  };
}
