import { STACK_SECRETS, WEB_PASSWORD, WEB_TOKEN } from './stack';

/** Distinctive words of the customer messages the HTTP integration and browser tests send. */
export const BODY_PHRASES = {
  review: 'Muito obrigado pela simpatia de todos na consulta',
  clinical: 'o medico receitou-me Brufen 600 de 8 em 8 horas mas tenho dores de estomago, posso tomar metade da dose?',
  technical: 'Boa tarde, a aplicacao Medis da erro quando tento marcar a consulta de Medico Online, aparece um erro e nao consigo entrar.',
};

/** Fragments that must never be in a log line: body text, the clinical subject, secrets. */
export function forbiddenFragments(): string[] {
  return [
    'simpatia de todos',
    'Brufen',
    'dores de estomago',
    'metade da dose',
    'Duvida sobre a dose receitada',
    'nao consigo entrar',
    '<script>alert("xss")',
    STACK_SECRETS.session,
    STACK_SECRETS.hmac,
    STACK_SECRETS.smtpPassword,
    WEB_PASSWORD,
    WEB_TOKEN,
  ];
}

/** A NIF in clear: nine digits on their own, grouped or not, with or without `PT`. */
const NIF_IN_CLEAR = /\b(?:PT)?\d{3}[ .-]?\d{3}[ .-]?\d{3}\b/i;

export function assertLogsClean(lines: readonly string[]): void {
  const problems: string[] = [];
  lines.forEach((line, i) => {
    const nif = NIF_IN_CLEAR.exec(line);
    if (nif) problems.push(`line ${i + 1}: NIF in clear ${JSON.stringify(nif[0])}: ${line.slice(0, 300)}`);
    for (const fragment of forbiddenFragments()) {
      if (line.includes(fragment)) problems.push(`line ${i + 1}: contains ${JSON.stringify(fragment.slice(0, 40))}: ${line.slice(0, 300)}`);
    }
  });
  if (problems.length > 0) throw new Error(`the log leaks:\n${problems.slice(0, 20).join('\n')}`);
}
