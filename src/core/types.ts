import type { Rules } from '../config/schema';
import type { Category, Language, Manifestation } from './categories';
import type { ParsedMessage } from './message';

export type { Category, Language, Manifestation, Rules, ParsedMessage };

export type Action = 'forward' | 'ask_identity' | 'review' | 'suppress';
export type IdentityField = 'nome' | 'nif';

export interface Route {
  category: Category;
  to: string[];
  cc: string[];
}

export interface Identity {
  nome: string | null;
  /** 9 digits, no prefix or spaces, also when invalid. */
  nif: string | null;
  /** null when no NIF was found. */
  nifValid: boolean | null;
}

/**
 * What a case already knows before this message (policy §2, §7). The running service keeps it in
 * Redis; `triage explain` passes undefined (each file is the first message of a new case).
 */
export interface CaseState {
  reference: string;
  /** Identity accumulated from the case's earlier messages. */
  identity: Identity;
  /** Categories decided earlier on the case (held until identity is complete, or forwarded). */
  categories: Category[];
  manifestation: Manifestation | null;
  language: Language;
  status: CaseStatus;
}

export type CaseStatus = 'held' | 'forwarded' | 'review' | 'suppressed' | 'replied' | 'closed';

/** Evidence for the agent: which rule fired on which words. */
export interface Evidence {
  /** What the evidence supports: a category, 'nome', 'nif', 'machine', 'language', a flag or tip. */
  about: string;
  text: string;
}

interface DecisionBase {
  messageId: string | null;
  routes: Route[];
  disclaimer: boolean;
  tips: string[];
  flags: string[];
  identity: Identity;
  missing: IdentityField[];
  manifestation: Manifestation | null;
  language: Language;
  /** Short human-readable evidence, for the agent (policy §6). */
  reasons: string[];
}

export type Decision =
  | (DecisionBase & { action: 'forward' })
  | (DecisionBase & { action: 'ask_identity' })
  | (DecisionBase & { action: 'review'; reviewReason: string })
  | (DecisionBase & { action: 'suppress'; machineReason: string });
