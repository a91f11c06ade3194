import { L4_PROTO_NUMBER, type L4Proto } from '../../maps/model.js';

const BY_NUMBER = new Map<number, L4Proto>(
  Object.entries(L4_PROTO_NUMBER).map(([name, num]) => [num, name as L4Proto]),
);

/** IANA protocol number of a model protocol (the __u8 proto fields). */
export function protoNumber(proto: L4Proto): number {
  const num = L4_PROTO_NUMBER[proto];
  if (num === undefined) throw new TypeError(`unknown L4 protocol: ${JSON.stringify(proto)}`);
  return num;
}

/** Model protocol of a __u8 proto field; unknown numbers are an error (nothing else writes them). */
export function protoName(num: number): L4Proto {
  const proto = BY_NUMBER.get(num);
  if (proto === undefined) throw new TypeError(`unknown IP protocol number in map: ${num}`);
  return proto;
}
