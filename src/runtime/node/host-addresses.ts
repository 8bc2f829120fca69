/**
 * The addresses on this machine's up interfaces, for the network monitors (src/server/monitor, SPEC S5).
 * os.networkInterfaces() is libuv's getifaddrs(), which skips interfaces that are not both UP and RUNNING, so
 * an address on a downed link is absent, as a removed one is. Read fresh at every call (a check every
 * network-monitoring-timeout seconds costs one system call).
 */
import { networkInterfaces } from 'node:os';

export class NodeHostAddresses {
  addresses(): string[] {
    const out: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) out.push(a.address);
    }
    return out;
  }
}
