import { z } from 'zod';

/**
 * The rules the procedure (../shared/triage-policy.md) is configured with: addresses, texts,
 * vocabularies, limits. Loaded from the YAML files in config/ and validated once at boot.
 * Every type the rest of the code uses is inferred from here, never written twice.
 */

export const CATEGORIES = [
  'documents',
  'policy',
  'technical',
  'refund',
  'invoice',
  'clinical',
  'ombudsman',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const MANIFESTATIONS = ['reclamacao', 'denuncia', 'sugestao', 'elogio', 'informacao'] as const;
export type Manifestation = (typeof MANIFESTATIONS)[number];

export const LANGUAGES = ['pt', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const email = z.string().trim().toLowerCase().pipe(z.email());

/** A regular-expression source, checked to compile. Matched against accent-folded lower-case text. */
const pattern = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);
const patterns = z.array(pattern);

const RouteSchema = z
  .object({
    /** false turns the route off; its messages go to review. */
    enabled: z.boolean().default(true),
    to: z.array(email),
    cc: z.array(email).default([]),
  })
  .strict();

const TopicSchema = z
  .object({
    /** Phrases that show the customer wants this (each a pattern). */
    cues: patterns,
    /** Phrases that, found near a cue, cancel it (e.g. "not about the invoice"). */
    against: patterns.default([]),
  })
  .strict();

export const RulesSchema = z
  .object({
    /** Our own identity: how we recognise our mail coming back (policy §5). */
    self: z
      .object({
        /** Domains of the Message-IDs we generate. */
        messageIdDomains: z.array(z.string().min(1)).min(1),
        /** Addresses of the shared inbox (X-Loop naming one of them is our own mail coming back). */
        inboxAddresses: z.array(email).default([]),
        /** Case reference: `[#MO-2026-000123]`. */
        caseReferencePrefix: z.string().regex(/^[A-Z][A-Z0-9]*$/),
      })
      .strict(),
    routes: z
      .object({
        documents: RouteSchema,
        policy: RouteSchema,
        technical: RouteSchema,
        refund: RouteSchema,
        invoice: RouteSchema,
        clinical: RouteSchema,
        /** The procedure names no ombudsman address: `to` comes from config or TRIAGE_OMBUDSMAN_ADDRESS. */
        ombudsman: RouteSchema.extend({ to: z.array(email).default([]) }),
      })
      .strict(),
    /** Appended verbatim to every customer reply on a case with a `policy` route (policy §3). */
    disclaimer: z.string().min(1),
    tips: z
      .object({
        zoom: z.object({ cues: patterns, text: z.record(z.enum(LANGUAGES), z.string().min(1)) }).strict(),
      })
      .strict(),
    flags: z
      .object({
        multiple_charges: z.object({ cues: patterns }).strict(),
      })
      .strict(),
    topics: z
      .object({
        documents: TopicSchema,
        policy: TopicSchema,
        technical: TopicSchema,
        refund: TopicSchema,
        invoice: TopicSchema,
        clinical: TopicSchema,
        ombudsman: TopicSchema.extend({
          /** Signs of an earlier contact that did not solve the problem (policy §4). */
          escalation: patterns,
          /** Formal channels: complaint, complaints book, regulator, consumer law. */
          formal: patterns,
        }),
      })
      .strict(),
    manifestations: z.object({
      reclamacao: patterns,
      denuncia: patterns,
      sugestao: patterns,
      elogio: patterns,
      informacao: patterns,
    }).strict(),
    /** NIF vocabulary (policy §2). */
    nif: z
      .object({
        /** Labels that introduce the customer's NIF. */
        labels: patterns,
        /** Labels that make a nearby 9-digit number something other than the customer's NIF. */
        notNifLabels: patterns,
        /** Issued first digits or first two digits (policy §2). */
        issuedPrefixes: z.array(z.string().regex(/^\d{1,2}$/)).min(1),
        /** Mobile-number prefixes: an unlabelled number starting so is a phone, not a NIF. */
        mobilePrefixes: z.array(z.string().regex(/^\d{2}$/)),
      })
      .strict(),
    /** NOME vocabulary (policy §2). */
    nome: z
      .object({
        labels: patterns,
        sentences: patterns,
        onBehalf: patterns,
        /** Closing formulas after which a signature name is expected. */
        signOffs: patterns,
        /** Words that are never part of a person's name (role lines, greetings). */
        notNameWords: z.array(z.string()),
      })
      .strict(),
    authorship: z
      .object({
        /** Lines that open a quoted earlier message ("Em …, … escreveu:"). */
        attributionLines: patterns,
        /** Lines that open a forwarded message. */
        forwardMarkers: patterns,
        /** Header-block field names of Outlook-style quotes (De:, Enviado:, Para:, Assunto:). */
        headerBlockFields: patterns,
        /** Lines that start a legal footer or disclaimer. */
        footerMarkers: patterns,
        /** Lines that mark our own identity request (quoted back). */
        ownTemplateMarkers: patterns,
      })
      .strict(),
    language: z
      .object({
        /** Common English words; enough of them make the customer's text `en`. */
        englishWords: z.array(z.string()),
        portugueseWords: z.array(z.string()),
      })
      .strict(),
    machineMail: z
      .object({
        /** Local parts (before @) of sender addresses that are machines. */
        senderLocalParts: patterns,
        precedenceValues: z.array(z.string()),
        /** Header names whose mere presence marks machine mail. */
        markerHeaders: z.array(z.string()),
        subjectPrefixes: patterns,
        /** Self-declared automatic mail in the first lines of the body. */
        bodyMarkers: patterns,
        /** How many lines at the top of the body `bodyMarkers` look at. */
        bodyMarkerLines: z.number().int().positive().default(5),
      })
      .strict(),
    limits: z
      .object({
        maxAutoRepliesPerAddressPerDay: z.number().int().positive(),
        identityRequestIntervalHours: z.number().positive(),
        holdDays: z.number().positive(),
        maxMessageBytes: z.number().int().positive(),
      })
      .strict(),
    ombudsman: z
      .object({
        deadlineBusinessDays: z.number().int().positive(),
        complexDeadlineBusinessDays: z.number().int().positive(),
        timezone: z.string().min(1),
        /** Office hours, local time, "HH:MM-HH:MM". */
        officeHours: z.array(z.string().regex(/^\d{2}:\d{2}-\d{2}:\d{2}$/)).min(1),
        /** Country (and optional region) whose public holidays are excluded, e.g. "PT". */
        holidaysCountry: z.string().min(2),
        /** Extra closed days, ISO dates. */
        extraHolidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).default([]),
        protocolFormat: z.string().min(1),
        reminderBusinessDaysBefore: z.number().int().nonnegative(),
      })
      .strict(),
    /** Reply texts per language; placeholders are {{name}}. */
    texts: z.record(z.enum(LANGUAGES), z.record(z.string(), z.string())),
  })
  .strict()
  .superRefine((rules, ctx) => {
    for (const category of CATEGORIES) {
      const route = rules.routes[category];
      if (category !== 'ombudsman' && route.enabled && route.to.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', category, 'to'],
          message: `the ${category} route is enabled but has no destination address`,
        });
      }
    }
    if (rules.ombudsman.complexDeadlineBusinessDays < rules.ombudsman.deadlineBusinessDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['ombudsman', 'complexDeadlineBusinessDays'],
        message: 'the complex-case deadline must not be shorter than the normal one',
      });
    }
  });

export type Rules = z.infer<typeof RulesSchema>;
export type RulesInput = z.input<typeof RulesSchema>;
