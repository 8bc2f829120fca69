/**
 * Tests that need an outside tool (sipp, kamailio, ip) skip with a message naming it when it is absent;
 * under CI (CI=true) nothing may be skipped, so there the missing tool is a failure.
 */
import { spawnSync } from 'node:child_process';

const found = new Map<string, string | undefined>();

/** The tool's path, or undefined when it is not installed. */
export function findTool(name: string): string | undefined {
  if (!found.has(name)) {
    const r = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} 2>/dev/null`], {
      encoding: 'utf8',
    });
    const path = r.stdout.trim().split('\n')[0];
    found.set(name, path || undefined);
  }
  return found.get(name);
}

/**
 * For `test(name, { skip: skipUnless('sipp') }, ...)`: false when the tool is there; a message naming the
 * missing tool otherwise. Under CI a missing tool throws instead, so the run goes red.
 */
export function skipUnless(...tools: string[]): string | false {
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length === 0) return false;
  const message = `needs ${missing.join(', ')} (not installed: apt-get install ${missing.map(debianPackage).join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${message}`);
  return message;
}

function debianPackage(tool: string): string {
  return tool === 'sipp' ? 'sip-tester' : tool === 'ip' ? 'iproute2' : tool;
}
