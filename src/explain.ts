import { parseMessage } from './adapters/mime';
import { decide } from './core';
import type { Decision, Rules } from './core';

const OVERSIZED_HEAD_BYTES = 256 * 1024;

/** One line of `triage explain --json` (policy §6). */
export interface ExplainLine {
  file: string;
  messageId: string | null;
  action: Decision['action'];
  routes: Decision['routes'];
  disclaimer: boolean;
  tips: string[];
  flags: string[];
  identity: Decision['identity'];
  missing: Decision['missing'];
  manifestation: Decision['manifestation'];
  language: Decision['language'] | null;
  reasons: string[];
}

/**
 * Decides one raw message exactly as the classifier worker does, as the first message of a new
 * case, with no Redis and no network. Never throws: a message that cannot be handled is `review`
 * with the reason.
 */
export async function explainMessage(raw: Buffer, rules: Rules, file: string, now: Date = new Date()): Promise<ExplainLine> {
  try {
    // An over-size message is read only as far as its headers and first part, so the agent still
    // sees its Message-ID; decide() sends it to review for its size.
    const oversized = raw.length > rules.limits.maxMessageBytes;
    const message = oversized
      ? { ...(await parseMessage(raw.subarray(0, OVERSIZED_HEAD_BYTES))), size: raw.length }
      : await parseMessage(raw);
    return toLine(file, decide(message, undefined, rules, now));
  } catch (err) {
    return reviewLine(file, `could not be decided: ${(err as Error).message}`);
  }
}

export function toLine(file: string, decision: Decision): ExplainLine {
  return {
    file,
    messageId: decision.messageId,
    action: decision.action,
    routes: decision.routes,
    disclaimer: decision.disclaimer,
    tips: decision.tips,
    flags: decision.flags,
    identity: decision.identity,
    missing: decision.missing,
    manifestation: decision.manifestation,
    language: decision.action === 'suppress' ? null : decision.language,
    reasons: decision.reasons,
  };
}

function reviewLine(file: string, reason: string): ExplainLine {
  return {
    file,
    messageId: null,
    action: 'review',
    routes: [],
    disclaimer: false,
    tips: [],
    flags: [],
    identity: { nome: null, nif: null, nifValid: null },
    missing: ['nome', 'nif'],
    manifestation: null,
    language: 'pt',
    reasons: [reason],
  };
}
