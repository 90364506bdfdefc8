/**
 * The procedure's own words (policy §3, §4, §6): categories, ombudsman manifestations and reply
 * languages. The rules schema (src/config/schema.ts) validates config against these.
 */
export const CATEGORIES = ['documents', 'policy', 'technical', 'refund', 'invoice', 'clinical', 'ombudsman'] as const;
export type Category = (typeof CATEGORIES)[number];

export const MANIFESTATIONS = ['reclamacao', 'denuncia', 'sugestao', 'elogio', 'informacao'] as const;
export type Manifestation = (typeof MANIFESTATIONS)[number];

export const LANGUAGES = ['pt', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
