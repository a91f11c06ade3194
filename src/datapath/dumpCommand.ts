/**
 * Prints the decoded node maps pinned under a pin root as JSON:
 *   npx tsx src/datapath/dumpCommand.ts [pinRoot=/sys/fs/bpf/cairn] [map ...]
 * (The cairn CLI can expose the same through `dumpNodeMaps`.)
 */
import { MAP_NAMES, type MapName } from '../maps/model.js';
import { dumpNodeMaps } from './dumpMaps.js';
import { DEFAULT_PIN_ROOT } from './paths.js';

const [pinRoot = DEFAULT_PIN_ROOT, ...wanted] = process.argv.slice(2);
const unknown = wanted.filter((m) => !MAP_NAMES.includes(m as MapName));
if (unknown.length > 0) {
  process.stderr.write(`unknown map(s): ${unknown.join(', ')}; known: ${MAP_NAMES.join(', ')}\n`);
  process.exit(2);
}
const dump = await dumpNodeMaps(pinRoot, wanted.length > 0 ? (wanted as MapName[]) : MAP_NAMES);
process.stdout.write(`${JSON.stringify(dump, null, 2)}\n`);
