import type { ExplainLine } from '../explain';

/** The human-readable form of one decision, for an agent at a terminal. */
export function formatReport(line: ExplainLine): string {
  const out: string[] = [`${line.file}`, `  action:    ${line.action}`];
  if (line.routes.length > 0) {
    for (const route of line.routes) {
      const cc = route.cc.length > 0 ? ` (cc ${route.cc.join(', ')})` : '';
      out.push(`  route:     ${route.category} → ${route.to.join(', ') || '(no address configured)'}${cc}`);
    }
  }
  if (line.action !== 'suppress') {
    const { nome, nif, nifValid } = line.identity;
    const nifText = nif ? `${nif}${nifValid ? '' : ' (not valid)'}` : '—';
    out.push(`  identity:  NOME ${nome ?? '—'} · NIF ${nifText}`);
    if (line.missing.length > 0) out.push(`  missing:   ${line.missing.join(', ')}`);
    out.push(`  language:  ${line.language ?? 'pt'}`);
  }
  if (line.manifestation) out.push(`  manifestation: ${line.manifestation}`);
  if (line.disclaimer) out.push('  disclaimer: Médis contact disclaimer on every reply');
  if (line.tips.length > 0) out.push(`  tips:      ${line.tips.join(', ')}`);
  if (line.flags.length > 0) out.push(`  flags:     ${line.flags.join(', ')}`);
  for (const reason of line.reasons) out.push(`  why:       ${reason}`);
  return out.join('\n');
}
