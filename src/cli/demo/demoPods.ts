import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';

/** The demo's pod network: a /24 in a network namespace of its own, reached through a veth. */
export const DEMO_POD_PREFIX = '10.244.200.';
/** The host's end of the veth: replies to it stay on the connected /24, no route needed. */
const HOST_ADDRESS = `${DEMO_POD_PREFIX}1`;

const SERVER = `
const http = require('node:http');
const endpoints = JSON.parse(process.argv[1]);
let ready = 0;
for (const { address, port, name } of endpoints) {
  http.createServer((_q, r) => r.end('hello from ' + name + ' (' + address + ':' + port + ')\\n'))
    .listen(port, address, () => { if (++ready === endpoints.length) console.log('ready'); });
}`;

export interface DemoEndpoint {
  readonly address: string;
  readonly port: number;
  readonly name: string;
}

const ip = (...args: string[]) => promisify(execFile)('ip', args);

/**
 * Stands up the demo's "pods": a network namespace holding the endpoint addresses, joined to
 * the host by a veth, with small HTTP servers answering with their own name. (The API server
 * refuses loopback endpoint addresses, so the pods get addresses of their own, as real ones do.)
 * Everything is created under names with this process's pid and removed by `close`.
 */
export async function startDemoPods(endpoints: readonly DemoEndpoint[]) {
  if (endpoints.length === 0) return { netns: undefined, close: async () => {} };
  const netns = `cairn-run-${process.pid}`;
  const hostIf = `crun${process.pid % 100_000}`;
  await ip('netns', 'add', netns);
  const close = async () => {
    server?.kill('SIGTERM');
    await ip('netns', 'del', netns).catch(() => undefined);
    await ip('link', 'del', hostIf).catch(() => undefined);
  };
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('addr', 'add', `${HOST_ADDRESS}/24`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    for (const address of new Set(endpoints.map((e) => e.address))) {
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    }
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    server = spawn(
      'ip',
      ['netns', 'exec', netns, process.execPath, '-e', SERVER, JSON.stringify(endpoints)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [chunk] = (await once(server.stdout!, 'data', { signal: AbortSignal.timeout(10_000) })) as [Buffer];
    if (!chunk.toString().includes('ready')) throw new Error(`demo pods did not start: ${chunk.toString()}`);
  } catch (error) {
    await close();
    throw error;
  }
  return { netns, close };
}
