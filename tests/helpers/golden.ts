import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRules } from '../../src/config/load';
import { explainMessage, type ExplainLine } from '../../src/explain';
import { listEml, readJsonl } from './load-eml';

/**
 * Golden runs: the CLI's code path (`explainMessage`, what `triage explain --json` prints) over a
 * labelled corpus (`labels.jsonl` + `cases/`, the format of ../shared/eval), each case compared
 * with its label field by field exactly the way ../shared/eval/score.mjs scores it. One test per
 * case, so any change of decision shows up as a diff of the specific fields of the specific case.
 */

const NOW = new Date('2026-11-18T10:30:00Z');

/** What score.mjs expects of every route (policy §3 defaults); ombudsman has no default address. */
const ADDRESSES: Record<string, { to: string[]; cc: string[] }> = {
  documents: { to: ['telemedicina@smpsaude.pt'], cc: [] },
  policy: { to: ['medico.online@medis.pt'], cc: [] },
  technical: { to: ['medico.online@medis.pt'], cc: [] },
  refund: { to: ['medico.online@medis.pt'], cc: [] },
  invoice: { to: ['rute.joao.externo@ageas.pt'], cc: ['clinicadigital@saude360.medis.pt'] },
  clinical: { to: ['areaclinica@saude360.medis.pt'], cc: [] },
};
const CLINICAL = 'areaclinica@saude360.medis.pt';
const SCORED_FLAGS = ['multiple_charges'];

interface Label {
  file: string;
  action: string;
  categories: string[];
  disclaimer?: boolean;
  tips?: string[];
  flags?: string[];
  nome?: string | null;
  nif?: string | null;
  nifValid?: boolean | null;
  missing?: string[];
  manifestation?: string | null;
  language?: string;
  note?: string;
}

// The normalisations of score.mjs.
const norm = (s: unknown): string | null =>
  s == null ? null : String(s).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
const digits = (s: unknown): string | null => (s == null ? null : String(s).replace(/\D/g, '') || null);
const asSet = (list: readonly string[] = []): string[] => [...new Set(list)].sort();
const lower = (list: readonly string[] = []): string[] => list.map((a) => String(a).toLowerCase());

/**
 * The scored fields of one side, normalised as score.mjs compares them, so that `toEqual` on the
 * two projections passes exactly when score.mjs counts the case as passed (plus its clinical
 * safety count). Machine mail (`suppress`) is scored on action, categories and addresses alone.
 */
function projections(got: ExplainLine, want: Label): { got: Record<string, unknown>; want: Record<string, unknown> } {
  const routes = Array.isArray(got.routes) ? got.routes : [];
  const scoredRoutes = routes.filter((r) => ADDRESSES[r.category]);
  const everyAddress = routes.flatMap((r) => [...lower(r.to), ...lower(r.cc)]);
  const clinicalTouched = want.categories.includes('clinical') || everyAddress.includes(CLINICAL);

  const g: Record<string, unknown> = {
    action: got.action,
    categories: asSet(routes.map((r) => r.category)),
    addresses: scoredRoutes.map((r) => ({ category: r.category, to: asSet(lower(r.to)), cc: asSet(lower(r.cc)) })),
    clinicalConfined: !clinicalTouched || everyAddress.every((a) => a === CLINICAL),
  };
  const w: Record<string, unknown> = {
    action: want.action,
    categories: asSet(want.categories),
    addresses: scoredRoutes.map((r) => ({ category: r.category, to: asSet(ADDRESSES[r.category]!.to), cc: asSet(ADDRESSES[r.category]!.cc) })),
    clinicalConfined: true,
  };
  if (want.action === 'suppress') return { got: g, want: w };

  Object.assign(g, {
    disclaimer: Boolean(got.disclaimer),
    tips: asSet(got.tips ?? []),
    flags: SCORED_FLAGS.filter((f) => (got.flags ?? []).includes(f)),
    nif: digits(got.identity?.nif),
    nifValid: got.identity?.nifValid ?? null,
    nome: norm(got.identity?.nome),
    missing: asSet(got.missing ?? []),
    language: got.language ?? 'pt',
  });
  Object.assign(w, {
    disclaimer: Boolean(want.disclaimer),
    tips: asSet(want.tips ?? []),
    flags: SCORED_FLAGS.filter((f) => (want.flags ?? []).includes(f)),
    nif: digits(want.nif),
    nifValid: want.nifValid ?? null,
    nome: norm(want.nome),
    missing: asSet(want.missing ?? []),
    language: want.language ?? 'pt',
  });
  if (want.categories.includes('ombudsman')) {
    g['manifestation'] = got.manifestation ?? null;
    w['manifestation'] = want.manifestation ?? null;
  }
  return { got: g, want: w };
}

/**
 * One describe block over a labelled corpus. `optional`: when the folder is missing, the tests
 * are skipped with a message instead of failing (the shared corpus lives beside the repository).
 */
export function describeGoldenCorpus(title: string, dir: string, options: { optional?: boolean } = {}): void {
  const labelsFile = path.join(dir, 'labels.jsonl');
  const casesDir = path.join(dir, 'cases');
  describe(`explainMessage (golden: ${title})`, () => {
    if (!existsSync(labelsFile) || !existsSync(casesDir)) {
      if (!options.optional) throw new Error(`golden corpus not found at ${dir}`);
      // eslint-disable-next-line no-console
      console.warn(`golden explain tests skipped: ${title} was not found at ${dir} (labels.jsonl and cases/)`);
      it.skip(`when ${title} is missing (${dir}), then its golden tests are skipped`, () => undefined);
      return;
    }

    const rules = loadRules();
    const labels = readJsonl<Label>(labelsFile);
    const files = new Map(listEml(casesDir).map((file) => [path.basename(file), file]));

    it('when the corpus is read, then every case file has exactly one label and every label a case file', () => {
      const labelled = labels.map((l) => path.basename(l.file));
      expect(labelled.length).toBeGreaterThan(0);
      expect(new Set(labelled).size).toBe(labelled.length);
      expect([...files.keys()].filter((f) => !labelled.includes(f))).toEqual([]);
      expect(labelled.filter((f) => !files.has(f))).toEqual([]);
    });

    const rows = labels
      .filter((label) => files.has(path.basename(label.file)))
      .map((label) => ({ name: label.file, note: (label.note ?? '').slice(0, 100), label }));

    it.each(rows)('when $name is explained, then every scored field matches its label — $note', async ({ label }) => {
      const file = files.get(path.basename(label.file))!;
      const line = await explainMessage(readFileSync(file), rules, label.file, NOW);
      const { got, want } = projections(line, label);
      expect(got).toEqual(want);
    });
  });
}
