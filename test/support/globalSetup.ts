import type { TestProject } from 'vitest/node';
import { startEtcdServer } from '../../src/etcd/etcdServer.js';

/** One real etcd for every integration test of the run; each test file uses its own key prefix. */
export default async function setup(project: TestProject) {
  const etcd = await startEtcdServer();
  project.provide('etcdEndpoints', [...etcd.endpoints]);
  return async () => {
    await etcd.stop();
  };
}
