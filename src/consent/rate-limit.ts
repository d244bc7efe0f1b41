/**
 * A fixed-window counter per key (an IP address) for the public pages, in memory: each server
 * instance counts its own requests, which is enough to stop a script hammering one instance.
 * Rate limiting is not a domain decision, so it reads the process clock.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys = 50_000,
  ) {}

  /** Counts a request; false when the key is over its limit in the current window. */
  hit(key: string, now: number = Date.now()): boolean {
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.#windows.size >= this.maxKeys) this.#prune(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return w.count <= this.limit;
  }

  #prune(now: number): void {
    for (const [k, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(k);
    // Still full of live windows: drop the oldest rather than grow without bound.
    if (this.#windows.size >= this.maxKeys) {
      const drop = this.#windows.size - Math.floor(this.maxKeys / 2);
      let i = 0;
      for (const k of this.#windows.keys()) {
        if (i++ >= drop) break;
        this.#windows.delete(k);
      }
    }
  }
}
