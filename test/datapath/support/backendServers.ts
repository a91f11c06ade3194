import dgram from 'node:dgram';
import net from 'node:net';

/** A TCP server on loopback that writes its name and closes: which backend answered. */
export async function startTcpBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((sock) => sock.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}

/** A UDP echo server on loopback that prefixes replies with its name. */
export async function startUdpBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(`${name}:${msg}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const port = sock.address().port;
  return { port, close: () => new Promise((r) => sock.close(() => r())) };
}
