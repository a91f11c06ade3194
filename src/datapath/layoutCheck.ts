import type { Codec } from './codec.js';
import type { BtfTypeLayout } from './native.js';

/**
 * Differences between a codec's layout and the C type in the object's BTF, as readable lines
 * (empty when they agree): type name, size, and each field's name, offset and size.
 */
export function compareLayout(codec: Codec<unknown, never>, btf: BtfTypeLayout | undefined): string[] {
  if (btf === undefined) return [`${codec.cType}: not in the object's BTF`];
  const out: string[] = [];
  if (btf.name !== codec.cType) out.push(`type name: codec ${codec.cType}, BTF ${btf.name}`);
  if (btf.size !== codec.size) out.push(`${codec.cType} size: codec ${codec.size}, BTF ${btf.size}`);
  const members = btf.members ?? [];
  if (members.length !== codec.fields.length) {
    out.push(
      `${codec.cType} fields: codec ${codec.fields.map((f) => f.name)}, BTF ${members.map((m) => m.name)}`,
    );
  }
  codec.fields.forEach((field, i) => {
    const m = members[i];
    if (m === undefined) return;
    if (m.name !== field.name || m.offset !== field.offset || m.size !== field.size || m.bitSize !== 0) {
      out.push(
        `${codec.cType} field ${i}: codec ${field.name}@${field.offset}+${field.size}, BTF ${m.name}@${m.offset}+${m.size}`,
      );
    }
  });
  return out;
}
