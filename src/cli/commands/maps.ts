import { type Command, Option } from 'commander';
import { dumpNodeMaps } from '../../datapath/dumpMaps.js';
import { DEFAULT_PIN_ROOT } from '../../datapath/paths.js';
import { formatMaps, type MapsView } from '../formatMaps.js';

/** `cairn maps`: this node's BPF maps, decoded. */
export function registerMaps(program: Command): void {
  program
    .command('maps')
    .description("print this node's BPF maps decoded: services with their backends, policy per endpoint")
    .option('--pin-root <dir>', 'bpffs directory of the pinned maps', DEFAULT_PIN_ROOT)
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (options: { pinRoot: string; output: 'text' | 'json' }) => {
      const dump = await dumpNodeMaps(options.pinRoot);
      if (options.output === 'json') {
        process.stdout.write(
          `${JSON.stringify(dump, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2)}\n`,
        );
        return;
      }
      process.stdout.write(`${formatMaps(dump.maps as MapsView)}\n`);
      if (dump.drops) {
        const drops = Object.entries(dump.drops).filter(([, d]) => d.packets !== '0');
        process.stdout.write(`drops: ${drops.map(([r, d]) => `${r} ${d.packets}`).join(', ') || 'none'}\n`);
      }
    });
}
