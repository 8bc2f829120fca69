/**
 * `sip-error-codes-overflow` (seed 000): which negative final responses to an initial INVITE make the call
 * try the next trunk. The seed's rules, each one checked here:
 *  - a comma-separated list of patterns; letter X stands for any digit;
 *  - a pattern has exactly three characters and starts with a digit ("XXX" is invalid);
 *  - X only at the end of a pattern ("5X3" is invalid), since X stands for "any remaining digits";
 *  - a pattern containing X concludes the list ("487,50X" is valid, "50X,487" is not), so at most one.
 * An empty value means 503.
 */
export type OverflowCodes = readonly string[];

/** The empty value: 503 only. */
export const defaultOverflowCodes: OverflowCodes = ['503'];

export type OverflowParse = { ok: true; codes: OverflowCodes } | { ok: false; error: string };

export function parseOverflowCodes(text: string): OverflowParse {
  if (text.trim() === '') return { ok: true, codes: defaultOverflowCodes };
  const patterns = text.split(',').map((p) => p.trim());
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i]!;
    const fault = patternFault(p);
    if (fault) return { ok: false, error: `pattern "${p}" is invalid: ${fault}` };
    if (p.includes('X') && i < patterns.length - 1) {
      return {
        ok: false,
        error: `pattern "${p}" is invalid: a pattern containing X must be the last in the list`,
      };
    }
  }
  return { ok: true, codes: patterns };
}

function patternFault(p: string): string | undefined {
  if (p === '') return 'a pattern may not be empty (two commas in a row, or a comma at an end)';
  if (p.length !== 3) return 'a pattern has exactly 3 characters';
  if (!/^[0-9X]{3}$/.test(p)) return 'a pattern may contain only digits and X';
  if (!/^[0-9]/.test(p)) return 'a pattern must start with a digit';
  if (/X[0-9]/.test(p)) return 'X may not be followed by a digit';
  return undefined;
}

/** True when `status` (a SIP response code) matches one of the patterns. */
export function matchesOverflowCodes(codes: OverflowCodes, status: number): boolean {
  const s = String(status);
  if (!/^[0-9]{3}$/.test(s)) return false;
  return codes.some((p) => [...p].every((c, i) => c === 'X' || c === s[i]));
}
