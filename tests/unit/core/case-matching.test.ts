import {
  caseLookupKeys,
  findCaseIds,
  formatCaseId,
  formatCaseReference,
  judgeTeamAnswer,
  nextCaseStatus,
  normaliseMessageId,
  outcomeOf,
  resolveCase,
} from '../../../src/core/case-matching';

const none = { byMessageId: new Map<string, string>(), existingCaseIds: new Set<string>() };

describe('case references', () => {
  it('formats the public reference with the configured prefix and a per-year number', () => {
    expect(formatCaseId('MO', 2026, 123)).toBe('MO-2026-000123');
    expect(formatCaseId('MO', 2026, 1234567)).toBe('MO-2026-1234567');
    expect(formatCaseReference('MO-2026-000123')).toBe('[#MO-2026-000123]');
  });

  it('finds references in subjects, whatever the spacing and case', () => {
    expect(findCaseIds('Re: Fatura [#MO-2026-000123]', 'MO')).toEqual(['MO-2026-000123']);
    expect(findCaseIds('RE: [ #mo-2026-000123 ] e [#MO-2025-000009]', 'MO')).toEqual(['MO-2026-000123', 'MO-2025-000009']);
    expect(findCaseIds('[#XX-2026-000123] MO-2026-000123', 'MO')).toEqual([]);
  });
});

describe('caseLookupKeys', () => {
  it('looks In-Reply-To up first, then References newest first', () => {
    const keys = caseLookupKeys(
      { inReplyTo: '<c@x.pt>', references: ['<a@X.PT>', '<b@x.pt> <c@x.pt>'], subject: 'Re: olá [#MO-2026-000001]' },
      'MO',
    );
    expect(keys.messageIds).toEqual(['<c@x.pt>', '<b@x.pt>', '<a@x.pt>']);
    expect(keys.caseIds).toEqual(['MO-2026-000001']);
  });

  it('normalises Message-IDs', () => {
    expect(normaliseMessageId(' <Abc@Example.PT> ')).toBe('<Abc@example.pt>');
    expect(normaliseMessageId('abc@example.pt')).toBe('<abc@example.pt>');
    expect(normaliseMessageId('<>')).toBeNull();
    expect(normaliseMessageId(null)).toBeNull();
  });
});

describe('resolveCase', () => {
  const keys = caseLookupKeys({ inReplyTo: '<ours@triage.pt>', references: ['<orig@cliente.pt>'], subject: '[#MO-2026-000002]' }, 'MO');

  it('joins the case a thread header names', () => {
    const found = { ...none, byMessageId: new Map([['<orig@cliente.pt>', 'MO-2026-000001']]) };
    expect(resolveCase(keys, found, '<ours@triage.pt>')).toEqual({ caseId: 'MO-2026-000001', via: 'references' });
    const direct = { ...none, byMessageId: new Map([['<ours@triage.pt>', 'MO-2026-000001']]) };
    expect(resolveCase(keys, direct, '<ours@triage.pt>')).toEqual({ caseId: 'MO-2026-000001', via: 'in-reply-to' });
  });

  it('prefers thread headers to the subject', () => {
    const found = { byMessageId: new Map([['<orig@cliente.pt>', 'MO-2026-000001']]), existingCaseIds: new Set(['MO-2026-000002']) };
    expect(resolveCase(keys, found, null)?.caseId).toBe('MO-2026-000001');
  });

  it('joins by the subject reference when the headers name nothing known', () => {
    expect(resolveCase(keys, { ...none, existingCaseIds: new Set(['MO-2026-000002']) }, null)).toEqual({ caseId: 'MO-2026-000002', via: 'subject' });
  });

  it('opens a new case when a reference matches no case', () => {
    expect(resolveCase(keys, none, null)).toBeNull();
  });
});

describe('case status and message outcome', () => {
  it('follows policy §7 states', () => {
    expect(nextCaseStatus(null, 'forward')).toBe('forwarded');
    expect(nextCaseStatus(null, 'ask_identity')).toBe('held');
    expect(nextCaseStatus(null, 'review')).toBe('review');
    expect(nextCaseStatus('held', 'forward')).toBe('forwarded');
    expect(nextCaseStatus('held', 'ask_identity')).toBe('held');
    expect(nextCaseStatus('held', 'suppress')).toBe('held');
    expect(nextCaseStatus('forwarded', 'review')).toBe('forwarded');
    expect(nextCaseStatus('forwarded', 'relay')).toBe('replied');
    expect(nextCaseStatus('replied', 'forward')).toBe('forwarded');
    expect(outcomeOf('ask_identity')).toBe('held');
    expect(outcomeOf('suppress')).toBe('suppressed');
  });
});

describe('judgeTeamAnswer', () => {
  const base = {
    caseFound: true,
    tokenValid: true,
    from: 'Medico.Online@medis.pt',
    routes: [{ category: 'policy', to: ['medico.online@medis.pt'] }],
    categories: ['policy'],
    customer: 'ana@cliente.pt',
  };
  it('relays an answer from the destination with a valid token', () => {
    expect(judgeTeamAnswer(base)).toEqual({ action: 'relay' });
  });
  it('sends anything else to review', () => {
    expect(judgeTeamAnswer({ ...base, tokenValid: false }).action).toBe('review');
    expect(judgeTeamAnswer({ ...base, caseFound: false }).action).toBe('review');
    expect(judgeTeamAnswer({ ...base, from: 'intruso@x.pt' }).action).toBe('review');
    expect(judgeTeamAnswer({ ...base, categories: ['clinical'] }).action).toBe('review');
  });
  it('when the answer comes from the cc of the case\'s route, then it is the case\'s own team', () => {
    const invoice = { ...base, from: 'clinicadigital@saude360.medis.pt', routes: [{ category: 'invoice', to: ['rute.joao.externo@ageas.pt'], cc: ['clinicadigital@saude360.medis.pt'] }], categories: ['invoice'] };
    expect(judgeTeamAnswer(invoice)).toEqual({ action: 'relay' });
    expect(judgeTeamAnswer({ ...invoice, from: 'medico.online@medis.pt' }).action).toBe('review');
  });
  it('when the case is closed, then an old answer replayed with its valid token goes to review', () => {
    expect(judgeTeamAnswer({ ...base, status: 'closed' })).toEqual({ action: 'review', reason: 'answer on a closed case' });
    expect(judgeTeamAnswer({ ...base, status: 'replied' })).toEqual({ action: 'relay' });
  });
});
