/**
 * The sipp phones of bench/ha, built on bench/calls' sipp helpers and scenarios: the load callee (uas.xml,
 * answers every INVITE, takes the BYE) registered as 2000, the probe callee registered as 2001, and the
 * callers (uac.xml, From 1000, to 2000).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Managed, Processes } from '../calls/children.ts';
import { freePort } from '../calls/ports.ts';
import { parseStatCsv, runSippClient, startSippUas } from '../calls/sipp.ts';
import { writeUsersCsv } from '../calls/users.ts';

const callsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../calls');
export const scenarios = {
  uac: join(callsDir, 'uac.xml'),
  uas: join(callsDir, 'uas.xml'),
  register: join(callsDir, 'register.xml'),
};

export interface Phone {
  managed: Managed;
  port: number;
  /** Calls the UAS completed (its BYE answered) so far, from its -trace_stat file (written every second). */
  completed(): number;
}

export async function startPhone(processes: Processes, dir: string): Promise<Phone> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const managed = startSippUas(processes, {
    dir,
    scenario: scenarios.uas,
    port,
    controlPort: await freePort(),
  });
  const statFile = join(dir, 'stat.csv');
  return {
    managed,
    port,
    completed: () =>
      existsSync(statFile)
        ? Number(parseStatCsv(readFileSync(statFile, 'utf8'))['SuccessfulCall(C)'] ?? 0)
        : 0,
  };
}

/** REGISTER of `dn` with its Contact at 127.0.0.1:contactPort; throws unless a 200 came back. */
export async function registerDn(
  processes: Processes,
  o: { dir: string; sipPort: number; dn: string; contactPort: number },
): Promise<void> {
  const name = `register-${o.dn}-${o.sipPort}`;
  mkdirSync(o.dir, { recursive: true });
  const csv = join(o.dir, `${name}.csv`);
  writeUsersCsv(csv, [o.dn], `127.0.0.1:${o.contactPort}`);
  const out = await runSippClient(processes, {
    name,
    dir: o.dir,
    scenario: scenarios.register,
    server: { host: '127.0.0.1', port: o.sipPort },
    localPort: await freePort(),
    controlPort: await freePort(),
    calls: 1,
    rate: 1,
    inf: csv,
    deadlineMs: 15_000,
  });
  if (out.succeeded !== 1) throw new Error(`REGISTER of ${o.dn} got no 200 (see ${out.dir})`);
}
