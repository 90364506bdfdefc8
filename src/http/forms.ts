import { CATEGORIES, type Category } from '../config/schema';
import { hasValidNifCheckDigit, normaliseNifDigits } from '../core/identity/nif';
import { OMBUDSMAN_STATES, type OmbudsmanState } from '../core/ombudsman-states';

/** What an agent submits: validated here before anything reaches the case store. */

export type FormResult<T> = { ok: true; value: T } | { ok: false; message: string };

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

function text(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : '';
}

export interface ReleaseForm {
  categories: Category[];
  nome: string;
  nif: string;
}

/**
 * Categories, NOME and NIF for a review case. Policy §3 precedence is enforced, not silently
 * applied: `clinical` and `ombudsman` each go alone, so the agent is told to uncheck the rest.
 */
export function parseReleaseForm(body: Record<string, unknown>): FormResult<ReleaseForm> {
  const raw = list(body.categories);
  const categories = CATEGORIES.filter((c) => raw.includes(c));
  if (raw.length === 0 || categories.length !== new Set(raw).size) {
    return { ok: false, message: 'Choose at least one category from the list.' };
  }
  if (categories.includes('clinical') && categories.length > 1) {
    return { ok: false, message: 'A clinical case goes to the clinical team alone: uncheck the other categories (policy §3).' };
  }
  if (categories.includes('ombudsman') && categories.length > 1) {
    return { ok: false, message: 'An ombudsman case goes to the ombudsman alone: uncheck the other categories (policy §3).' };
  }
  const nome = text(body.nome).slice(0, 200);
  if (nome.split(' ').filter((w) => /\p{L}/u.test(w)).length < 2) {
    return { ok: false, message: 'NOME must be the full name (at least two words).' };
  }
  const nif = normaliseNifDigits(text(body.nif));
  if (!nif || !hasValidNifCheckDigit(nif)) {
    return { ok: false, message: 'The NIF must be 9 digits with a valid check digit.' };
  }
  return { ok: true, value: { categories, nome, nif } };
}

/** The ombudsman state an operator moves a case to (policy §4); the lifecycle itself is checked by the core. */
export function parseOmbudsmanStateForm(body: Record<string, unknown>): FormResult<{ state: OmbudsmanState }> {
  const state = text(body.state);
  if (!(OMBUDSMAN_STATES as readonly string[]).includes(state)) {
    return { ok: false, message: `Choose a state: ${OMBUDSMAN_STATES.join(', ')}.` };
  }
  return { ok: true, value: { state: state as OmbudsmanState } };
}

export function parseComplexForm(body: Record<string, unknown>): FormResult<{ reason: string }> {
  const reason = text(body.reason).slice(0, 500);
  if (reason.length < 5) return { ok: false, message: 'Give the reason the case is complex (policy §4).' };
  return { ok: true, value: { reason } };
}
