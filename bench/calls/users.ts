/**
 * Who is who in the benchmark. The callee registers as 2000 and every call dials 2000; the caller (From 1000)
 * is not registered (Duet needs 1000 to be a DN, Kamailio does not look). The REGISTER-rate test binds users 3000, 3001, ... in turn, read from a
 * sipp -inf CSV (SEQUENTIAL: sipp takes the next line for each REGISTER and wraps around).
 */
import { writeFileSync } from 'node:fs';

export const CALLEE = '2000';
export const CALLER = '1000';
export const FIRST_REGISTER_USER = 3000;

export function registerUsers(count: number): string[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= 6000)) {
    throw new Error(`register users: count must be an integer in 1-6000 (numbers 3000-8999), got ${count}`);
  }
  return Array.from({ length: count }, (_, i) => String(FIRST_REGISTER_USER + i));
}

/** The sipp -inf CSV for register.xml: field0 the user, field1 the Contact's host:port. */
export function usersCsv(users: readonly string[], contactHostPort: string): string {
  return ['SEQUENTIAL', ...users.map((u) => `${u};${contactHostPort}`), ''].join('\n');
}

export function writeUsersCsv(file: string, users: readonly string[], contactHostPort: string): void {
  writeFileSync(file, usersCsv(users, contactHostPort));
}
