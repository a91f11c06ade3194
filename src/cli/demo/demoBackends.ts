import { createServer, type Server } from 'node:http';

/**
 * Small HTTP servers standing in for the demo's pods: each answers with its own address, so a
 * request through a ClusterIP shows which backend the socket load balancer chose.
 */
export async function startDemoBackends(
  endpoints: readonly { address: string; port: number; name: string }[],
) {
  const servers: Server[] = [];
  for (const { address, port, name } of endpoints) {
    const server = createServer((_request, response) => {
      response.end(`hello from ${name} (${address}:${port})\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    servers.push(server);
  }
  return {
    async close() {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
