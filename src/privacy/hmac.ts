import { createHmac } from 'node:crypto';
import type { HashText } from './redact';

/** Marks a stored value as a keyed hash, and of which kind. */
export const HASH_PREFIX = 'hmac256:';

/** The shortest key accepted: 32 bytes, the HMAC-SHA-256 block's half and the hash's own length. */
export const MIN_KEY_BYTES = 32;

/**
 * HMAC-SHA-256 under the operator's key, hex, prefixed. Keyed, so a reader of the sink cannot hash every
 * possible birth date or student id and look the value up; deterministic, so the same value hashes alike in
 * every resource and run that share the key, and joins across tables still work.
 */
export function hmacHasher(key: string): HashText {
  return (text) => HASH_PREFIX + createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** Why this key cannot be used, or undefined. */
export function weakKeyReason(key: string | undefined): string | undefined {
  if (key === undefined || key === '') return 'is not set on this worker';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < MIN_KEY_BYTES) return `holds ${bytes} bytes; a hash key needs at least ${MIN_KEY_BYTES} (e.g. openssl rand -hex 32)`;
  return undefined;
}
