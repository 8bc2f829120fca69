/**
 * The reference server: Debian's Kamailio with bench/kamailio/kamailio.cfg (registrar + dialog-stateful
 * record-routing proxy), in the foreground, on a free UDP port.
 *
 *   kamailio -f kamailio.cfg -l udp:127.0.0.1:PORT -DD -E -m 1024 -M 32 -w DIR -P DIR/kamailio.pid -n 2
 *
 * -DD keeps the creator process in the foreground (it is our child, so we can stop it by PID); -E logs to
 * stderr (our log file); -M 32 MB private memory per process; -n 2 UDP workers because the machine has 2 cores.
 * -m 1024 MB of shared memory, not 256: with 256 MB, Kamailio ran out of shared memory at 1,500 calls/s of
 * 1 s calls ("qm_malloc ... Free fragment not found", then 500 replies), because every transaction stays in
 * memory for tm's 5 s wait timer after it ends. A reference server failing for want of a configurable pool
 * would understate its capacity; the pool is reserved, not used, so it costs nothing in the figures (memory is
 * measured as Pss, the pages really touched).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Processes } from './children.ts';
import type { RunningServer } from './server.ts';
import { probeSip } from './sip-probe.ts';

export const kamailioBinary = '/usr/sbin/kamailio';

export function kamailioArgs(cfg: string, port: number, dir: string): string[] {
  return [
    '-f',
    cfg,
    '-l',
    `udp:127.0.0.1:${port}`,
    '-DD',
    '-E',
    '-m',
    '1024',
    '-M',
    '32',
    '-w',
    dir,
    '-P',
    join(dir, 'kamailio.pid'),
    '-n',
    '2',
  ];
}

export async function startKamailio(
  processes: Processes,
  o: { cfg: string; port: number; dir: string; readyTimeoutMs?: number },
): Promise<RunningServer> {
  if (!existsSync(kamailioBinary))
    throw new Error(`${kamailioBinary} not found: install the Debian package kamailio`);
  mkdirSync(o.dir, { recursive: true });
  const managed = processes.start('kamailio', kamailioBinary, kamailioArgs(o.cfg, o.port, o.dir), {
    cwd: o.dir,
    logFile: join(o.dir, 'kamailio.log'),
  });
  try {
    await Promise.race([
      probeSip('127.0.0.1', o.port, o.readyTimeoutMs ?? 15_000),
      managed.exited.then(({ code, signal }) => {
        throw new Error(`kamailio exited (code ${code}, signal ${signal}) before answering`);
      }),
    ]);
  } catch (err) {
    await processes.stop(managed);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- ${managed.logFile}:\n${managed.tail()}`,
    );
  }
  return { target: 'kamailio', host: '127.0.0.1', sipPort: o.port, managed };
}
