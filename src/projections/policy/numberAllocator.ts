/**
 * Deterministic number allocation: the smallest released number first, else the next fresh one.
 * The same sequence of calls gives the same numbers, which is what makes a replay reproduce
 * identities and endpoint ids.
 */
export class NumberAllocator {
  private next: number;
  /** Released numbers, kept sorted descending so the smallest is popped from the end. */
  private readonly free: number[] = [];

  constructor(
    first: number,
    private readonly limit: number,
  ) {
    this.next = first;
  }

  /** The smallest number not in use; throws only when the whole space is exhausted. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next > this.limit) throw new RangeError(`number space exhausted at ${this.limit}`);
    return this.next++;
  }

  /** Returns a number to the pool; it is handed out again only by a later allocate. */
  release(value: number): void {
    let low = 0;
    let high = this.free.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.free[mid]! > value) low = mid + 1;
      else high = mid;
    }
    this.free.splice(low, 0, value);
  }
}
