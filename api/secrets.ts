/** Constant-time comparison of secrets, shared by every credential check. */
import { timingSafeEqual } from 'node:crypto';

/** True when `presented` equals `expected`, in time that does not depend on where they differ. */
export function secretEquals(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
