import type { CaseRecord } from '../../../src/adapters/case-store';
import { newCaseRecord } from '../../../src/adapters/case-store';
import { sortOmbudsman, summarise } from '../../../src/http/case-console-redis';
import type { OmbudsmanCase } from '../../../src/http/console-port';

function record(over: Partial<CaseRecord> = {}): CaseRecord {
  return {
    ...newCaseRecord({
      id: 'MO-2026-000007',
      nonce: 'ab12cd34',
      at: new Date('2026-03-02T10:00:00Z'),
      customer: { address: 'cliente@example.pt', name: 'Cliente' },
      subject: 'Dúvida sobre a dose',
      language: 'pt',
    }),
    ...over,
  };
}

describe('summarise', () => {
  it('when the case has a clinical category, then its subject is withheld', () => {
    expect(summarise(record({ categories: ['clinical'] })).subject).toBeNull();
    expect(summarise(record({ categories: ['invoice'] })).subject).toBe('Dúvida sobre a dose');
  });

  it('when the case is in review, then the reason is given, and only then', () => {
    expect(summarise(record({ status: 'review', statusReason: 'no topic' })).reviewReason).toBe('no topic');
    expect(summarise(record({ status: 'forwarded', statusReason: 'x' })).reviewReason).toBeNull();
  });
});

describe('sortOmbudsman', () => {
  const c = (reference: string, deadline: string, overdue: boolean) => ({ reference, deadline, overdue }) as OmbudsmanCase;

  it('when some cases are overdue, then they come first, each group by nearest deadline', () => {
    const sorted = sortOmbudsman([
      c('A', '2026-04-10T16:30:00.000Z', false),
      c('B', '2026-03-01T16:30:00.000Z', true),
      c('C', '2026-03-20T16:30:00.000Z', false),
      c('D', '2026-02-20T16:30:00.000Z', true),
    ]);
    expect(sorted.map((x) => x.reference)).toEqual(['D', 'B', 'C', 'A']);
  });
});
