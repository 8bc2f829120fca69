import type { Random } from '../../runtime/random.ts';

/** §8.1.1.7: a branch starting with this cookie promises RFC 3261 uniqueness, enabling branch-based matching. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** A fresh RFC 3261 branch: the magic cookie and 96 random bits. */
export function newBranch(random: Random): string {
  return MAGIC_COOKIE + random.hex(24);
}

export function isRfc3261Branch(branch: string | undefined): branch is string {
  return typeof branch === 'string' && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}
