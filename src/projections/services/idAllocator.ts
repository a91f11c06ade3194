/**
 * Deterministic id allocator: always hands out the lowest free id. Released ids only become
 * free at `commit()`, which the fold calls at the end of an event, so an id freed by one event
 * is never reused by that same event while its old entries are still being deleted.
 */
export class IdAllocator {
  private next: number;
  /** Binary min-heap of free ids below `next`. */
  private readonly free: number[] = [];
  private readonly pending: number[] = [];

  constructor(first = 1) {
    this.next = first;
  }

  /** The lowest free id. */
  allocate(): number {
    if (this.free.length === 0) return this.next++;
    const top = this.free[0]!;
    const last = this.free.pop()!;
    if (this.free.length > 0) {
      this.free[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Marks `id` free from the next `commit()` on. */
  release(id: number): void {
    this.pending.push(id);
  }

  /** Makes the ids released since the last commit available again. */
  commit(): void {
    for (const id of this.pending) this.push(id);
    this.pending.length = 0;
  }

  private push(id: number): void {
    const h = this.free;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= h[i]!) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const h = this.free;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]! < h[m]!) m = l;
      if (r < h.length && h[r]! < h[m]!) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
