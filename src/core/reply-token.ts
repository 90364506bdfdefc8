import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Case tokens (policy §7): the case reference is public, so the address team answers come back to
 * also carries an HMAC of the reference under a server secret. Without the secret nobody can
 * address an "answer" to another customer's case.
 *
 * The token travels in the local part of the Reply-To (plus addressing, RFC 5233):
 * `suporte@x.pt` → `suporte+MO-2026-000123.<token>@x.pt`. Mail systems may fold the case of a
 * local part, so the token is lower-case base32 and the reference is compared in upper case.
 */

/** Characters of the token: 20 base32 characters carry 100 bits of the HMAC-SHA256. */
export const CASE_TOKEN_LENGTH = 20;
/** A shorter secret would make the token guessable offline. */
export const MIN_SECRET_BYTES = 16;
/** RFC 5321 §4.5.3.1.1: a local part has at most 64 octets. */
const MAX_LOCAL_PART = 64;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Domain separation: the same secret may sign other things (Message-IDs), never with this prefix. */
const PURPOSE = 'case-reply-token/v1\n';
const CASE_REF = /^[A-Z0-9][A-Z0-9-]*$/;
const SUBADDRESS = new RegExp(`^([A-Za-z0-9][A-Za-z0-9-]*)\\.([a-z2-7]{${CASE_TOKEN_LENGTH}})$`, 'i');

export type Secret = string | Uint8Array;

export interface ReplyAddress {
  /** The case reference, upper case (`MO-2026-000123`). Public: verify the token before trusting it. */
  caseRef: string;
  /** The token as written, lower case. */
  token: string;
}

/** The token bound to a case reference. Throws RangeError on an empty reference or a short secret. */
export function signCaseToken(caseId: string, secret: Secret): string {
  const ref = caseId.trim().toUpperCase();
  if (ref === '') throw new RangeError('case token: empty case reference');
  const digest = createHmac('sha256', checkSecret(secret)).update(PURPOSE + ref, 'utf8').digest();
  return toBase32(digest).slice(0, CASE_TOKEN_LENGTH);
}

/** Whether `token` is the token of `caseId`, compared in constant time. */
export function verifyCaseToken(caseId: string, token: string, secret: Secret): boolean {
  const expected = Buffer.from(signCaseToken(caseId, secret), 'utf8');
  const given = Buffer.from(token.trim().toLowerCase(), 'utf8');
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/**
 * The Reply-To address for a case: the inbox with `+REFERENCE.TOKEN` added to its local part.
 * Throws RangeError when the inbox is not an address, the reference has characters other than
 * letters, digits and `-`, or the local part would exceed 64 octets.
 */
export function buildReplyAddress(inbox: string, caseRef: string, secret: Secret): string {
  const { local, domain } = splitAddress(inbox);
  const ref = caseRef.trim().toUpperCase();
  if (!CASE_REF.test(ref)) throw new RangeError(`reply address: "${caseRef}" is not a case reference`);
  const tagged = `${local}+${ref}.${signCaseToken(ref, secret)}`;
  if (Buffer.byteLength(tagged, 'utf8') > MAX_LOCAL_PART) {
    throw new RangeError(`reply address: local part "${tagged}" is longer than ${MAX_LOCAL_PART} octets`);
  }
  return `${tagged}@${domain}`;
}

/**
 * Reads the case reference and token from an address built by `buildReplyAddress` for `inbox`
 * (a bare address or `Name <address>`). Null when the address is not the inbox with a
 * well-formed tag. Does not check the token: call `verifyCaseToken`.
 */
export function parseReplyAddress(address: string, inbox: string): ReplyAddress | null {
  const parsed = trySplitAddress(address);
  const own = trySplitAddress(inbox);
  if (!parsed || !own) return null;
  if (parsed.domain.toLowerCase() !== own.domain.toLowerCase()) return null;
  const prefix = `${own.local}+`.toLowerCase();
  if (!parsed.local.toLowerCase().startsWith(prefix)) return null;
  const m = SUBADDRESS.exec(parsed.local.slice(prefix.length));
  if (!m) return null;
  return { caseRef: (m[1] as string).toUpperCase(), token: (m[2] as string).toLowerCase() };
}

/** The first of `addresses` (To, Cc, Delivered-To…) that is a tagged address of `inbox`. */
export function findReplyAddress(addresses: readonly string[], inbox: string): ReplyAddress | null {
  for (const address of addresses) {
    const parsed = parseReplyAddress(address, inbox);
    if (parsed) return parsed;
  }
  return null;
}

function checkSecret(secret: Secret): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new RangeError(`case token: the secret must have at least ${MIN_SECRET_BYTES} bytes`);
  }
  return bytes;
}

function splitAddress(address: string): { local: string; domain: string } {
  const parts = trySplitAddress(address);
  if (!parts) throw new RangeError(`reply address: "${address}" is not an e-mail address`);
  return parts;
}

function trySplitAddress(address: string): { local: string; domain: string } | null {
  let bare = address.trim();
  const angle = /<([^<>]*)>\s*$/.exec(bare);
  if (angle) bare = (angle[1] as string).trim();
  const at = bare.lastIndexOf('@');
  if (at <= 0 || at === bare.length - 1) return null;
  const local = bare.slice(0, at);
  const domain = bare.slice(at + 1);
  if (/[\s<>@"]/.test(local) || /[\s<>@]/.test(domain)) return null;
  return { local, domain };
}

/** RFC 4648 base32, lower case, no padding. */
function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}
