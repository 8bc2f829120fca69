/**
 * When a changed option value is used, in the seeds' words ("Changes Take Effect"). The seeds also write
 * "After SIP Server restart"; it means the same as "After restart" and is recorded as such.
 */
export const takeEffectRules = [
  'Immediately',
  'For the next call',
  'When the HA connection is established',
  'After restart',
] as const;

export type TakesEffect = (typeof takeEffectRules)[number];
