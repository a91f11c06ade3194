import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { describeEventLogContract } from './eventLogContract.js';

describeEventLogContract('memory', async (limits) => {
  const log = new MemoryEventLog(limits ? { limits } : {});
  return {
    log,
    batches: () => log.batchesCommitted,
    corrupt: async (first, bytes) => log.corruptSegmentAt(first, bytes),
  };
});
