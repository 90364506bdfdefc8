import type { CaseState, Decision, ParsedMessage, Rules } from './types';

/**
 * The one decision of the procedure (policy §1-§6): parsed message + what the case knows +
 * rules → decision. Pure: no I/O, no clock (`now` is passed in), no environment, no logger.
 */
export function decide(message: ParsedMessage, caseState: CaseState | undefined, rules: Rules, now: Date): Decision {
  void caseState;
  void rules;
  void now;
  return {
    action: 'review',
    reviewReason: 'not decided yet',
    messageId: message.messageId,
    routes: [],
    disclaimer: false,
    tips: [],
    flags: [],
    identity: { nome: null, nif: null, nifValid: null },
    missing: ['nome', 'nif'],
    manifestation: null,
    language: 'pt',
    reasons: [],
  };
}
