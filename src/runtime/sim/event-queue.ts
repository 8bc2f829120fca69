/**
 * The simulator's agenda: a binary min-heap ordered by (time, seq). `seq` is the insertion number, so events
 * due at the same instant run in the order they were scheduled — the Clock contract, and what makes a run a
 * pure function of its seed. Entries know their heap index so cancelling a timer is O(log n), not a tombstone
 * left to clog the heap (SIP transactions cancel most of the timers they set).
 */
export interface ScheduledEvent {
  readonly seq: number;
  readonly time: number;
  readonly run: () => void;
  /** Position in the heap; -1 once popped or removed. */
  index: number;
}

export class EventQueue {
  private readonly heap: ScheduledEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(ev: ScheduledEvent): void {
    ev.index = this.heap.length;
    this.heap.push(ev);
    this.siftUp(ev.index);
  }

  peek(): ScheduledEvent | undefined {
    return this.heap[0];
  }

  pop(): ScheduledEvent | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Removes an event still in the queue; false if it already ran or was removed. */
  remove(ev: ScheduledEvent): boolean {
    if (ev.index < 0 || this.heap[ev.index] !== ev) return false;
    this.removeAt(ev.index);
    return true;
  }

  private removeAt(i: number): void {
    const removed = this.heap[i]!;
    const last = this.heap.pop()!;
    removed.index = -1;
    if (last === removed) return;
    this.heap[i] = last;
    last.index = i;
    this.siftDown(i);
    this.siftUp(last.index);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < h.length && before(h[l]!, h[least]!)) least = l;
      if (r < h.length && before(h[r]!, h[least]!)) least = r;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const x = h[a]!;
    const y = h[b]!;
    h[a] = y;
    h[b] = x;
    y.index = a;
    x.index = b;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
