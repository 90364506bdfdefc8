import { CATEGORIES } from './categories';
import { splitAuthorship } from './authorship';
import { toUnits } from './cues';
import { findNif, type NifFinding } from './identity/find-nif';
import { findNome } from './identity/find-nome';
import { commonWords, detectLanguage } from './language';
import { detectMachineMail } from './machine-mail';
import { classifyTopics, type TopicOutcome } from './topics';
import type { CaseState, Category, Decision, Evidence, Identity, IdentityField, ParsedMessage, Route, Rules } from './types';

/**
 * The one decision of the procedure (policy §1-§6): parsed message + what the case knows +
 * rules → decision. Pure: no I/O, no clock (`now` is passed in), no environment, no logger.
 * `triage explain` and the classifier worker both call it, so they decide identically.
 */
export function decide(message: ParsedMessage, caseState: CaseState | undefined, rules: Rules, now: Date): Decision {
  void now; // the decision itself does not depend on the time; the workers' schedules do
  const base = {
    messageId: message.messageId,
    routes: [] as Route[],
    disclaimer: false,
    tips: [] as string[],
    flags: [] as string[],
    manifestation: null,
  };

  // §5: machine mail is never answered, whatever it seems to say.
  const machine = detectMachineMail(message, rules);
  if (machine.machine) {
    return {
      ...base,
      action: 'suppress',
      machineReason: machine.reason,
      identity: { nome: null, nif: null, nifValid: null },
      missing: [],
      language: caseState?.language ?? 'pt',
      reasons: [`machine mail: ${machine.reason}`],
    };
  }

  // §1: only the customer's own words count.
  const words = splitAuthorship(message, rules);
  const ownText = words.newText || words.ownEarlierText;
  const language = detectLanguage(ownText, rules) ?? caseState?.language ?? 'pt';

  let topics = classifyTopics(toUnits(words.newText, rules.language.abbreviations), rules);
  let topicsFromEarlier = false;
  if (topics.categories.length === 0 && words.ownEarlierText) {
    const earlier = classifyTopics(toUnits(words.ownEarlierText, rules.language.abbreviations), rules);
    if (earlier.categories.length > 0) {
      topics = earlier;
      topicsFromEarlier = true;
    }
  }
  // The subject of a new message is the customer's words too; a reply's or a forward's subject
  // is an old thread's title and decides nothing (policy §1).
  if (topics.categories.length === 0 && message.subject && !isReplyOrForward(message.subject)) {
    topics = classifyTopics(toUnits(`${message.subject}\n\n${words.newText}`, rules.language.abbreviations), rules);
  }

  // §2: identity from the customer's words, then what the case already knows.
  const nifFinding = pickNif(findNif(words.newText, rules.nif), findNif(words.ownEarlierText, rules.nif));
  const stopWords = commonWords(rules).all;
  const nomeFinding = findNome(words.newText, rules.nome, stopWords) ?? findNome(words.ownEarlierText, rules.nome, stopWords);
  const identity = mergeIdentity(
    {
      nome: nomeFinding?.nome ?? null,
      nif: nifFinding?.nif ?? null,
      nifValid: nifFinding ? nifFinding.valid : null,
    },
    caseState?.identity,
  );
  const missing: IdentityField[] = [];
  if (!identity.nome) missing.push('nome');
  if (!identity.nif || !identity.nifValid) missing.push('nif');

  const withCaseState = withCase(topics, caseState);
  const { manifestation, continued } = withCaseState;
  // A route an operator switched off sends its messages to review (config/routing.yaml).
  const disabled = withCaseState.categories.filter((c) => !rules.routes[c].enabled);
  const categories = withCaseState.categories.filter((c) => rules.routes[c].enabled);
  const reasons = buildReasons(topics.evidence, topicsFromEarlier, continued, caseState, nomeFinding?.evidence, nifFinding);

  const common = { messageId: message.messageId, identity, missing, language };
  if (message.size > rules.limits.maxMessageBytes) {
    return review(common, `message of ${message.size} bytes is over the ${rules.limits.maxMessageBytes}-byte limit`, reasons);
  }
  if (categories.length === 0 && disabled.length > 0) {
    return review(common, `the ${disabled.join(', ')} route is switched off in the configuration`, reasons);
  }
  if (categories.length === 0) {
    const why = message.problems.length > 0 && !ownText
      ? `could not read the message: ${message.problems.join('; ')}`
      : 'no request the procedure routes was found: a person triages it';
    return review(common, why, reasons);
  }

  const routes = categories.map((category): Route => {
    const route = rules.routes[category];
    return { category, to: [...route.to], cc: [...route.cc] };
  });
  const decided = {
    ...common,
    routes,
    disclaimer: categories.includes('policy'),
    tips: categories.includes('technical') ? topics.tips : [],
    flags: categories.includes('refund') ? topics.flags : [],
    manifestation: categories.includes('ombudsman') ? manifestation : null,
    reasons,
  };
  return missing.length > 0 ? { ...decided, action: 'ask_identity' } : { ...decided, action: 'forward' };
}

const REPLY_OR_FORWARD = /^\s*(re|res|resp|aw|sv|fw|fwd|enc|tr|rv|wg)\s*(\[\d+\])?\s*:/i;

function isReplyOrForward(subject: string): boolean {
  return REPLY_OR_FORWARD.test(subject);
}

type Common = Pick<Decision, 'messageId' | 'identity' | 'missing' | 'language'>;

function review(common: Common, why: string, reasons: string[]): Decision {
  return {
    ...common,
    action: 'review',
    reviewReason: why,
    routes: [],
    disclaimer: false,
    tips: [],
    flags: [],
    manifestation: null,
    reasons: [...reasons, `review: ${why}`],
  };
}

/** A labelled NIF in the new text wins; a valid NIF from the customer's earlier words fills a gap. */
function pickNif(fromNew: NifFinding | null, fromEarlier: NifFinding | null): NifFinding | null {
  if (fromNew?.valid) return fromNew;
  if (fromEarlier?.valid) return fromEarlier;
  return fromNew ?? fromEarlier;
}

/** §2: identity given earlier in the same case counts; a valid NIF beats an invalid one. */
function mergeIdentity(found: Identity, known: Identity | undefined): Identity {
  if (!known) return found;
  const nome = found.nome ?? known.nome;
  if (found.nifValid) return { nome, nif: found.nif, nifValid: true };
  if (known.nifValid) return { nome, nif: known.nif, nifValid: true };
  return { nome, nif: found.nif ?? known.nif, nifValid: found.nif ? found.nifValid : known.nifValid };
}

/**
 * §7: a message on an open case that asks nothing new (an answer to the identity request, a
 * follow-up) continues the case's routes; new requests on a held case join them.
 */
function withCase(
  topics: TopicOutcome,
  caseState: CaseState | undefined,
): { categories: Category[]; manifestation: TopicOutcome['manifestation']; continued: boolean } {
  const open = caseState && (caseState.status === 'held' || caseState.status === 'forwarded') && caseState.categories.length > 0;
  if (!open) return { categories: topics.categories, manifestation: topics.manifestation, continued: false };
  if (topics.categories.length === 0) {
    return { categories: [...caseState.categories], manifestation: caseState.manifestation, continued: true };
  }
  if (caseState.status !== 'held') return { categories: topics.categories, manifestation: topics.manifestation, continued: false };
  let union = CATEGORIES.filter((c) => topics.categories.includes(c) || caseState.categories.includes(c));
  if (union.includes('clinical')) union = ['clinical'];
  else if (union.includes('ombudsman')) union = ['ombudsman'];
  return { categories: union, manifestation: topics.manifestation ?? caseState.manifestation, continued: true };
}

function buildReasons(
  evidence: Evidence[],
  fromEarlier: boolean,
  continued: boolean,
  caseState: CaseState | undefined,
  nomeEvidence: string | undefined,
  nif: NifFinding | null,
): string[] {
  const reasons: string[] = [];
  const where = fromEarlier ? ' (in the customer\'s own earlier message)' : '';
  for (const e of evidence) {
    // Clinical confidentiality: the words that made a message clinical are not repeated.
    const text = e.about === 'clinical' ? 'a request about clinical content (words withheld)' : `"${e.text}"`;
    reasons.push(`${e.about}: ${text}${where}`);
  }
  if (continued && caseState) reasons.push(`continues case ${caseState.reference} (${caseState.categories.join(', ')})`);
  reasons.push(nomeEvidence ? `NOME from ${nomeEvidence}` : 'NOME not stated in the customer\'s own words');
  if (nif) reasons.push(`NIF ${nif.labelled ? 'labelled' : 'unlabelled'}${nif.valid ? '' : ', not valid'}: "${nif.evidence}"`);
  else reasons.push('no NIF in the customer\'s own words');
  return reasons;
}
