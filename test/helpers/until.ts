/**
 * Waits until `check` holds, polling every 50 ms; fails with `what` (and `detail`, e.g. a log, computed only on
 * failure) when it does not within `timeoutMs`. Tests wait on conditions, never on fixed sleeps.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  detail: string | (() => string) = '',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) {
      const more = typeof detail === 'function' ? detail() : detail;
      throw new Error(`${what}: not within ${timeoutMs} ms${more ? `\n${more}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
