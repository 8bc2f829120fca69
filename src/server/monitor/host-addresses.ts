/**
 * What the network monitors (SPEC S5) and the Virtual IP control (S6.1) read of the machine: the IP addresses
 * configured on the interfaces that are up. The Node adapter is src/runtime/node/host-addresses.ts
 * (os.networkInterfaces(), which lists only interfaces that are up and running); tests pass a fake.
 */
export interface HostAddresses {
  /** The IPv4 and IPv6 addresses on up interfaces, as text. */
  addresses(): string[];
}

/** One spelling per address: IPv6 compressed and lower case, without a zone (`fe80::1%eth0`); IPv4 as is. */
export function normalizeAddress(address: string): string {
  const a = address.trim().replace(/^\[|\]$/g, '');
  if (!a.includes(':')) return a;
  const bare = a.replace(/%.*$/, '');
  try {
    return new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return bare.toLowerCase();
  }
}

/** Whether `address` is on an up interface of the host. */
export function hasAddress(host: HostAddresses, address: string): boolean {
  const want = normalizeAddress(address);
  return host.addresses().some((a) => normalizeAddress(a) === want);
}
