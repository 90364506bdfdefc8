import type { CaseState, Category, Decision, Identity, IdentityField, ParsedMessage, Route, Rules } from '../../src/core/types';

/**
 * A stand-in for decide() in the pipeline tests: the message says what to decide in `X-Test-*`
 * headers, and the case is merged as the real decide does (policy §2: identity given earlier in
 * the case counts; a message that only completes identity takes the case's held categories).
 *
 *   X-Test-Categories: invoice, policy     (none: review)
 *   X-Test-Nome: Ana Sofia Martins
 *   X-Test-Nif: 123456789                  X-Test-Nif-Valid: no
 *   X-Test-Machine: out of office          (suppress)
 *   X-Test-Tips: zoom                      X-Test-Language: en
 */
export function scriptedDecide(message: ParsedMessage, caseState: CaseState | undefined, rules: Rules, _now: Date): Decision {
  const h = (name: string): string | undefined => message.headers[name.toLowerCase()]?.[0]?.trim();
  const list = (name: string): string[] => (h(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const language = h('X-Test-Language') === 'en' ? 'en' : 'pt';
  const nif = h('X-Test-Nif') ?? null;
  const own: Identity = { nome: h('X-Test-Nome') ?? null, nif, nifValid: nif ? h('X-Test-Nif-Valid') !== 'no' : null };
  const known = caseState?.identity ?? { nome: null, nif: null, nifValid: null };
  const identity: Identity = {
    nome: own.nome ?? known.nome,
    nif: own.nif ?? known.nif,
    nifValid: own.nif ? own.nifValid : known.nifValid,
  };
  const missing: IdentityField[] = [];
  if (!identity.nome) missing.push('nome');
  if (!identity.nif || !identity.nifValid) missing.push('nif');
  const base = {
    messageId: message.messageId,
    disclaimer: false,
    tips: list('X-Test-Tips'),
    flags: [] as string[],
    identity,
    missing,
    manifestation: null,
    language: language as 'pt' | 'en',
    reasons: ['scripted'],
  };
  const machine = h('X-Test-Machine');
  if (machine) return { ...base, missing: [], action: 'suppress', machineReason: machine, routes: [] };

  let categories = list('X-Test-Categories') as Category[];
  if (categories.length === 0 && caseState && caseState.categories.length > 0) categories = [...caseState.categories];
  if (categories.includes('clinical')) categories = ['clinical'];
  else if (categories.includes('ombudsman')) categories = ['ombudsman'];
  const routes: Route[] = categories.map((category) => ({
    category,
    to: [...rules.routes[category].to],
    cc: [...rules.routes[category].cc],
  }));
  if (routes.length === 0) return { ...base, action: 'review', reviewReason: 'no category', routes: [] };
  const decided = { ...base, routes, disclaimer: categories.includes('policy') };
  return base.missing.length > 0 ? { ...decided, action: 'ask_identity' } : { ...decided, action: 'forward' };
}

/** A raw customer message with X-Test-* instructions. */
export function testMail(fields: {
  id: string;
  from?: string;
  subject?: string;
  body?: string;
  inReplyTo?: string;
  references?: string[];
  to?: string;
  headers?: Record<string, string>;
}): Buffer {
  const lines = [
    `From: ${fields.from ?? 'Ana Martins <ana@cliente.pt>'}`,
    `To: ${fields.to ?? 'apoio@medico-online.pt'}`,
    `Subject: ${fields.subject ?? 'Pedido'}`,
    `Message-ID: ${fields.id}`,
    'Date: Mon, 2 Mar 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ];
  if (fields.inReplyTo) lines.push(`In-Reply-To: ${fields.inReplyTo}`);
  if (fields.references?.length) lines.push(`References: ${fields.references.join(' ')}`);
  for (const [k, v] of Object.entries(fields.headers ?? {})) lines.push(`${k}: ${v}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${fields.body ?? 'Bom dia, preciso de ajuda.'}\r\n`, 'utf8');
}
