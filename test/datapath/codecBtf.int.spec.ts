import { describe, expect, it } from 'vitest';
import { dropStatsCodec } from '../../src/datapath/codecs/dropStatsCodec.js';
import { compareLayout } from '../../src/datapath/layoutCheck.js';
import { INTERNAL_MAPS, MAP_CODECS } from '../../src/datapath/mapCodecs.js';
import { nativeBinding } from '../../src/datapath/native.js';
import { BPF_OBJECTS } from '../../src/datapath/paths.js';
import type { MapName } from '../../src/maps/model.js';
import { MAP_NAMES } from '../../src/maps/model.js';
import { kernelTestsSkipReason } from './support/datapathPrereq.js';

// Reading BTF needs no privileges: only the built addon and objects.
const skip = kernelTestsSkipReason({ objects: true, root: false });

describe.skipIf(skip !== undefined)('codecs match the BTF of the compiled objects', () => {
  const objects = Object.values(BPF_OBJECTS);

  it.each(MAP_NAMES.map((m) => [m] as [MapName]))('%s: key and value layouts', (name) => {
    const codec = MAP_CODECS[name];
    for (const object of objects) {
      const layout = nativeBinding().btfMapLayout(object, codec.cName);
      expect(layout, `${codec.cName} in ${object}`).toBeDefined();
      expect(compareLayout(codec.key, layout?.key), `${codec.cName} key in ${object}`).toEqual([]);
      expect(compareLayout(codec.value, layout?.value), `${codec.cName} value in ${object}`).toEqual([]);
    }
  });

  it('drop counters: struct drop_stats', () => {
    const layout = nativeBinding().btfMapLayout(BPF_OBJECTS.policy, INTERNAL_MAPS.drops);
    expect(compareLayout(dropStatsCodec, layout?.value)).toEqual([]);
  });

  it('a layout change is reported field by field', () => {
    const layout = nativeBinding().btfStruct(BPF_OBJECTS.policy, 'endpoint_info');
    const shifted = {
      ...MAP_CODECS.endpoints.value,
      fields: MAP_CODECS.endpoints.value.fields.map((f) => (f.name === 'flags' ? { ...f, offset: 16 } : f)),
    };
    expect(compareLayout(shifted, layout)).toEqual([
      'endpoint_info field 4: codec flags@16+2, BTF flags@18+2',
    ]);
  });

  it('the maglev inner table holds __u32 backend ids', () => {
    const inner = nativeBinding().btfStruct(BPF_OBJECTS.sockLb, 'cairn_maglev_inner');
    expect(inner?.members?.map((m) => m.name)).toEqual(['type', 'key', 'value', 'max_entries']);
  });
});
