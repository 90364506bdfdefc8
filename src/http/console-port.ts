import type { OmbudsmanState } from '../core/ombudsman-states';
import type { Category, CaseStatus, Language, Manifestation } from '../core/types';

/**
 * What the case console needs from the case store. The web role depends on this port only; the
 * Redis adapter (case-console-redis.ts) implements it over the pipeline's case store, and unit
 * tests implement it in memory.
 *
 * Clinical confidentiality (policy §3): an implementation never returns the text or subject of a
 * message on a case with a `clinical` route; it returns `null` and says why in `withheld`.
 */
export interface CaseConsole {
  /** Cases, newest activity first. `query` matches a reference, a NIF or an address. */
  listCases(filter: CaseFilter): Promise<CaseSummary[]>;
  /** One case with its timeline, or null when no case has that reference. */
  getCase(reference: string): Promise<CaseDetail | null>;
  /** Cases waiting for a person (status `review`), oldest first. */
  listReview(): Promise<CaseSummary[]>;
  /** Ombudsman cases: overdue first, then by deadline. */
  listOmbudsman(now: Date): Promise<OmbudsmanCase[]>;
  /**
   * An agent decides a review case: sets categories and identity, and releases its routes
   * (forwards and the customer's acknowledgement go through the pipeline's queues, so they are
   * sent, retried and marked like any other mail).
   */
  releaseReview(reference: string, input: ReleaseInput): Promise<ReleaseResult>;
  /**
   * Ombudsman: extends the deadline to the complex-case one, with the reason recorded, and tells
   * the customer the new deadline (policy §4).
   */
  markComplex(reference: string, input: { reason: string; by: string }): Promise<MarkComplexResult>;
  /** Ombudsman: moves the case to its next state and tells the customer (policy §4). */
  changeOmbudsmanState(reference: string, input: { state: OmbudsmanState; by: string }): Promise<OmbudsmanStateResult>;
  /** For /metrics: cheap counts. */
  counts(now: Date): Promise<{ review: number; ombudsmanOverdue: number }>;
}

export interface CaseFilter {
  state?: CaseStatus | undefined;
  category?: Category | undefined;
  query?: string | undefined;
  limit?: number | undefined;
}

export interface CaseSummary {
  reference: string;
  status: CaseStatus;
  categories: Category[];
  /** The customer's address. */
  customer: string;
  nome: string | null;
  nif: string | null;
  /** Subject of the first message; null on clinical cases. */
  subject: string | null;
  openedAt: string;
  updatedAt: string;
  messageCount: number;
  reviewReason: string | null;
}

export interface OmbudsmanCase extends CaseSummary {
  protocol: string;
  /** received, in_analysis, answered, closed. */
  state: OmbudsmanState;
  manifestation: Manifestation | null;
  /** ISO instant. */
  deadline: string;
  complex: boolean;
  complexReason: string | null;
  overdue: boolean;
}

export interface CaseDetail extends CaseSummary {
  language: Language;
  manifestation: Manifestation | null;
  ombudsman: {
    protocol: string;
    state: OmbudsmanState;
    deadline: string;
    complex: boolean;
    complexReason: string | null;
    /** Past its deadline and not answered yet. */
    overdue: boolean;
    /** The states an operator may move it to now. */
    nextStates: OmbudsmanState[];
  } | null;
  timeline: TimelineEntry[];
}

export type TimelineEntry =
  | {
      kind: 'message';
      at: string;
      messageId: string | null;
      from: string;
      /** null when withheld (clinical case). */
      subject: string | null;
      /** The customer's text; null when withheld. */
      text: string | null;
      withheld: string | null;
      attachments: string[];
    }
  | {
      kind: 'decision';
      at: string;
      action: 'forward' | 'ask_identity' | 'review' | 'suppress' | 'release';
      categories: Category[];
      /** Evidence for the agent (matched phrases, headers); never clinical text. */
      reasons: string[];
      missing: Array<'nome' | 'nif'>;
      by: string | null;
    }
  | {
      kind: 'mail';
      at: string;
      /** forward, reply, identity_request, relay, ack… as the pipeline names them. */
      mailKind: string;
      to: string[];
      cc: string[];
      status: 'queued' | 'sent' | 'failed';
      detail: string | null;
    }
  | { kind: 'note'; at: string; by: string; text: string };

export interface ReleaseInput {
  categories: Category[];
  nome: string;
  nif: string;
  by: string;
}

export type ReleaseResult =
  | { ok: true; jobIds: string[] }
  | { ok: false; reason: 'not_found' | 'not_in_review' | 'invalid'; message: string };

export type MarkComplexResult =
  | { ok: true; deadline: string }
  | { ok: false; reason: 'not_found' | 'not_ombudsman' | 'invalid'; message: string };

export type OmbudsmanStateResult =
  | { ok: true; state: OmbudsmanState; deadline: string }
  | { ok: false; reason: 'not_found' | 'not_ombudsman' | 'invalid'; message: string };
