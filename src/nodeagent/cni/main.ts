/**
 * The cairn CNI plugin's entry point (installed as /opt/cni/bin/cairn by scripts/install-cni.sh):
 * reads the configuration from stdin, runs the command CNI_COMMAND names, prints the result or
 * the spec's error object, and exits 0 or 1.
 */
import { runCni } from './runCni.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const outcome = await runCni(process.env, await readStdin());
// Exit at once once stdout is flushed: an etcd client's timers must not hold the runtime up.
process.stdout.write(outcome.stdout, () => process.exit(outcome.exitCode));
