/**
 * Link faults: what the simulated network does to packets between two hosts, per direction.
 */
export interface LinkFaults {
  /** Probability in [0, 1] that a UDP datagram is lost. TCP is never lossy (it retransmits). */
  loss: number;
  /** Probability in [0, 1] that a UDP datagram arrives twice. */
  duplicate: number;
  /** One-way delay, uniform in [min, max] ms (whole ms when both bounds are whole). */
  delayMs: readonly [number, number];
  /**
   * UDP datagrams get independent delays and may overtake each other; without it a link is FIFO. TCP always
   * stays in order.
   */
  reorder: boolean;
}

/** Which direction a rule applies to; a missing end matches any host. */
export interface LinkSelector {
  from?: string;
  to?: string;
}

export const DEFAULT_LINK_FAULTS: LinkFaults = { loss: 0, duplicate: 0, delayMs: [1, 5], reorder: false };

export function validateFaults(f: Partial<LinkFaults>): void {
  for (const key of ['loss', 'duplicate'] as const) {
    const p = f[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) {
      throw new RangeError(`link faults: ${key} must be a probability between 0 and 1, got ${p}`);
    }
  }
  if (f.delayMs !== undefined) {
    const [min, max] = f.delayMs;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
      throw new RangeError(
        `link faults: delayMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`,
      );
    }
  }
}

/**
 * The rules in force. A direction's faults are the defaults overridden by the (any → to) rule, then the
 * (from → any) rule, then the exact (from → to) rule: the more specific, the later it wins.
 */
export class FaultTable {
  private defaults: LinkFaults = { ...DEFAULT_LINK_FAULTS };
  private readonly rules = new Map<string, Partial<LinkFaults>>();

  setDefaults(f: Partial<LinkFaults>): void {
    validateFaults(f);
    this.defaults = { ...this.defaults, ...definedOnly(f) };
  }

  set(sel: LinkSelector, f: Partial<LinkFaults>): void {
    validateFaults(f);
    this.rules.set(ruleKey(sel.from, sel.to), definedOnly(f));
  }

  clear(sel?: LinkSelector): void {
    if (sel === undefined) this.rules.clear();
    else this.rules.delete(ruleKey(sel.from, sel.to));
  }

  resolve(from: string, to: string): LinkFaults {
    if (this.rules.size === 0) return this.defaults;
    return {
      ...this.defaults,
      ...this.rules.get(ruleKey(undefined, to)),
      ...this.rules.get(ruleKey(from, undefined)),
      ...this.rules.get(ruleKey(from, to)),
    };
  }
}

function ruleKey(from: string | undefined, to: string | undefined): string {
  return `${from ?? '*'}>${to ?? '*'}`;
}

function definedOnly(f: Partial<LinkFaults>): Partial<LinkFaults> {
  const out: Partial<LinkFaults> = {};
  if (f.loss !== undefined) out.loss = f.loss;
  if (f.duplicate !== undefined) out.duplicate = f.duplicate;
  if (f.delayMs !== undefined) out.delayMs = [f.delayMs[0], f.delayMs[1]];
  if (f.reorder !== undefined) out.reorder = f.reorder;
  return out;
}

export function describeFaults(f: Partial<LinkFaults>): string {
  const parts: string[] = [];
  if (f.loss !== undefined) parts.push(`loss=${f.loss}`);
  if (f.duplicate !== undefined) parts.push(`duplicate=${f.duplicate}`);
  if (f.delayMs !== undefined) parts.push(`delay=${f.delayMs[0]}..${f.delayMs[1]}ms`);
  if (f.reorder !== undefined) parts.push(`reorder=${f.reorder}`);
  return parts.join(' ') || '(none)';
}
