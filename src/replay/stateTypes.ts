import { compileLabelSelector, labelSelectorOf } from '../projections/policy/labelSelector.js';
import { NumberAllocator } from '../projections/policy/numberAllocator.js';
import { IdAllocator } from '../projections/services/idAllocator.js';
import type { StateTypes } from './stateCodec.js';

/**
 * The classes and closures the node folds keep in their state. A fold that starts keeping a new
 * one makes `encodeState` fail naming it (and the replay property test with it): add it here.
 */
export const NODE_STATE_TYPES: StateTypes = {
  classes: [IdAllocator, NumberAllocator],
  // Payloads read from a log are avsc record instances (their constructors have a static
  // getType); the folds use them as data, so they travel as plain objects.
  plainRecord: (proto) =>
    typeof (proto.constructor as { getType?: unknown } | undefined)?.getType === 'function',
  functions: [
    {
      name: 'labelSelector',
      describe: (fn) => labelSelectorOf(fn),
      revive: (source) => {
        const matcher = compileLabelSelector(source as Parameters<typeof compileLabelSelector>[0]);
        if (typeof matcher !== 'function')
          throw new Error(`snapshot selector does not compile: ${matcher.error}`);
        return matcher;
      },
    },
  ],
};
