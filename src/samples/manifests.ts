import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { FOLLOWED_KINDS, type KubeObject, upsertEvent } from '../apiwatch/objectEvents.js';
import type { AnyEvent } from '../events/envelope.js';

/**
 * Reads Kubernetes manifests (multi-document YAML) and turns the objects cairn follows into the
 * events apiwatch would write for them. A manifest has no uid or resourceVersion, so they are
 * derived from the object: the same file gives the same events (appending again is a no-op), an
 * edited object gives a new event.
 */
export async function eventsFromManifests(paths: readonly string[], cluster: string): Promise<AnyEvent[]> {
  const events: AnyEvent[] = [];
  for (const path of paths) {
    const documents = parseAllDocuments(await readFile(path, 'utf8'));
    for (const [index, document] of documents.entries()) {
      if (document.errors.length > 0) {
        throw new Error(
          `${path}: document ${index + 1}: ${document.errors.map((e) => e.message).join('; ')}`,
        );
      }
      const object = document.toJSON() as KubeObject | null;
      if (!object || !FOLLOWED_KINDS.includes(object.kind as never)) continue;
      events.push(upsertEvent(withIdentity(object), { cluster, fallbackActor: `manifest:${path}` }));
    }
  }
  return events;
}

function withIdentity(object: KubeObject): KubeObject {
  const meta = object.metadata ?? {};
  const name = `${object.kind}/${meta.namespace ?? ''}/${meta.name ?? ''}`;
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  return {
    ...object,
    metadata: {
      ...meta,
      uid: meta.uid ?? `manifest-${digest(name)}`,
      resourceVersion: meta.resourceVersion ?? digest(JSON.stringify(object)),
    },
  };
}
