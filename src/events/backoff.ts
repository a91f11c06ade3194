import { setTimeout as sleep } from 'node:timers/promises';

/** Exponential backoff with full jitter. */
export interface BackoffPolicy {
  readonly attempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { attempts: 8, initialMs: 50, maxMs: 2_000 };

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Runs `operation`, retrying failures with backoff; after the last attempt throws what
 * `giveUp(lastError, attempts)` makes of it.
 */
export async function withBackoff<T>(
  policy: BackoffPolicy,
  operation: () => Promise<T>,
  giveUp: (error: unknown, attempts: number) => Error,
  retryable: (error: unknown) => boolean = () => true,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt + 1 >= policy.attempts) throw giveUp(error, attempt + 1);
      await sleep(backoffDelay(policy, attempt));
    }
  }
}
