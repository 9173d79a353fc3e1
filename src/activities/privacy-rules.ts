import { ApplicationFailure } from '@temporalio/activity';
import { hmacHasher, weakKeyReason } from '../privacy/hmac';
import type { HashText, PrivacyRules } from '../privacy/redact';
import { redactPage } from '../privacy/redact-page';
import { recordCheckFor } from '../schemas/record-check';
import type { StagedRecords } from '../sinks/staged-page';
import type { ResourceConfig } from '../spec/export-spec';

/** The failure type of a hash key missing or too short on a worker: its setup, not the source, is wrong. */
export const PRIVACY_KEY_MISSING = 'PrivacyKeyMissing';

/**
 * A resource's privacy rule with its hasher, or undefined when it has none. The key is read here, on the
 * worker, from the variable the spec names; without a usable one nothing can be stored safely, so the
 * failure is final and names the variable (never the key).
 */
export function privacyFor(resource: ResourceConfig): { rules: PrivacyRules; hashText: HashText } | undefined {
  const privacy = resource.privacy;
  if (privacy === undefined || (privacy.drop.length === 0 && privacy.hash.length === 0)) return undefined;
  // Nothing is hashed: the hasher is never called, and no key is needed.
  if (privacy.hash.length === 0) return { rules: privacy, hashText: () => '' };
  const key = process.env[privacy.hashKeyEnv];
  const weak = weakKeyReason(key);
  if (weak !== undefined) {
    throw ApplicationFailure.nonRetryable(`resource ${resource.name}: privacy.hashKeyEnv: environment variable ${privacy.hashKeyEnv} ${weak}`, PRIVACY_KEY_MISSING);
  }
  return { rules: privacy, hashText: hmacHasher(key as string) };
}

/** A page's records as staged under the rule: redacted, with the schema's verdict at the redacted paths taken first. */
export function redactedForStaging(records: unknown[], resource: ResourceConfig, privacy: { rules: PrivacyRules; hashText: HashText }): StagedRecords {
  const page = redactPage(records, privacy.rules, privacy.hashText, recordCheckFor(resource.schema));
  return { records: page.records, redaction: { paths: page.paths, issues: page.issues } };
}
