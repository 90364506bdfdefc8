import { z } from 'zod';

/**
 * The rules the procedure (../shared/triage-policy.md) is configured with: addresses, texts,
 * vocabularies, limits. Loaded from the YAML files in config/ and validated once at boot.
 * Every type the rest of the code uses is inferred from here, never written twice.
 */

import { CATEGORIES, LANGUAGES, MANIFESTATIONS, type Category } from '../core/categories';

export { CATEGORIES, LANGUAGES, MANIFESTATIONS };
export type { Category, Language, Manifestation } from '../core/categories';

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

/**
 * A cue: one pattern, or several that must all match within the same sentence, paragraph or
 * message. A weak cue decides a category only when no strong cue of any category matched.
 * `context` patterns must also match somewhere in the customer's text.
 */
const CueSchema = z.union([
  pattern,
  z
    .object({
      all: patterns.min(1),
      scope: z.enum(['sentence', 'paragraph', 'message']).default('sentence'),
      context: patterns.default([]),
      weak: z.boolean().default(false),
    })
    .strict(),
]);
export type CueInput = z.input<typeof CueSchema>;

const TopicSchema = z
  .object({
    /** Phrases that show the customer wants this. */
    cues: z.array(CueSchema),
    /** A sentence matching one of these says nothing for this topic ("não peço reembolso"). */
    against: patterns.default([]),
  })
  .strict();

/** Template keys the pipeline composes mail from (src/core/compose.ts); each language has them all. */
export const TEXT_KEYS = [
  'greeting', 'greeting_named', 'signature', 'reference_line', 'neutral_subject',
  'identity_marker', 'identity_intro', 'missing_nome', 'missing_nif', 'nif_invalid', 'identity_outro',
  'ack_intro', 'next_documents', 'next_policy', 'next_technical', 'next_refund', 'next_invoice', 'next_clinical',
  'next_ombudsman', 'ombudsman_protocol', 'ack_outro', 'relay_intro',
  'forward_intro', 'forward_intro_clinical', 'forward_followup', 'forward_released',
  'label_reference', 'label_category', 'label_nome', 'label_nif', 'label_nif_invalid', 'label_flags', 'label_tips',
  'label_evidence', 'label_language', 'label_customer', 'label_protocol', 'label_deadline', 'label_manifestation',
  'label_message', 'label_attachments', 'label_original', 'label_none',
  'category_documents', 'category_policy', 'category_technical', 'category_refund', 'category_invoice',
  'category_clinical', 'category_ombudsman',
  // The second instance (policy §4): state notices to the customer, the deadline reminder to the team.
  'ombudsman_state_changed', 'ombudsman_deadline', 'ombudsman_complex',
  'ombudsman_state_received', 'ombudsman_state_in_analysis', 'ombudsman_state_answered', 'ombudsman_state_closed',
  'ombudsman_note_received', 'ombudsman_note_in_analysis', 'ombudsman_note_answered', 'ombudsman_note_closed',
  'reminder_subject', 'reminder_intro', 'label_state', 'label_complex',
] as const;
export type TextKey = (typeof TEXT_KEYS)[number];

/** One language's texts: every key above, plus any other texts other parts may add. */
const TextSetSchema = z
  .object(Object.fromEntries(TEXT_KEYS.map((k) => [k, z.string().min(1)])) as Record<TextKey, z.ZodString>)
  .catchall(z.string());

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
        zoom: z
          .object({ cues: z.array(CueSchema), text: z.record(z.enum(LANGUAGES), z.string().min(1)) })
          .strict(),
      })
      .strict(),
    flags: z
      .object({
        multiple_charges: z.object({ cues: z.array(CueSchema) }).strict(),
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
    /** Ombudsman manifestations (policy §4): the first kind in `order` whose cues match, else `fallback`. */
    manifestations: z
      .object({
        order: z.array(z.enum(MANIFESTATIONS)).min(1),
        fallback: z.enum(MANIFESTATIONS),
        cues: z.record(z.enum(MANIFESTATIONS), z.array(CueSchema)),
      })
      .strict(),
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
        /**
         * Words that mark a line as a company's details (legal form, share capital, registry):
         * a NIF on such a line is the company's, unless the customer calls it theirs ("o meu NIF").
         */
        companyMarkers: patterns.default([]),
        /**
         * First digits of collective persons' numbers (NIPC: companies, public bodies, other
         * entities): such a number in the same paragraph as a company marker is the company's.
         */
        companyPrefixes: z.array(z.string().regex(/^\d{1,2}$/)).default([]),
        /** Words right after a number that say it is not the customer's ("…, que não é o meu"). */
        disownedAfter: patterns.default([]),
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
        /**
         * Family words ("Mãe do Rodrigo"): not a name when they open the line; inside a name
         * ("Olivia Mae Harris") they are read as written.
         */
        relationWords: z.array(z.string()).default([]),
        /**
         * Someone says they write for the patient ("escrevo pela minha avó"): the writer's own
         * signature is then never NOME, even when the patient's full name is not given.
         */
        onBehalfDeclarations: patterns.default([]),
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
        /** SMS-style abbreviations read in full before topics are matched ("n" → "nao", "pf" → "por favor"). */
        abbreviations: z.record(z.string(), z.string()).default({}),
      })
      .strict(),
    machineMail: z
      .object({
        /** Local parts (before @) of sender addresses that are machines (mailer-daemon, no-reply …). */
        senderLocalParts: patterns,
        precedenceValues: z.array(z.string()),
        /** Header names whose mere presence marks machine mail (a value of no/false/0 does not count). */
        markerHeaders: z.array(z.string()),
        /**
         * Header combinations that mark machine mail: every header named must be present and its
         * (folded) value must match the pattern given for it ('' matches any value).
         */
        headerRules: z
          .array(
            z
              .object({
                /** Short evidence shown to the agent, e.g. "Exchange out-of-office". */
                label: z.string().min(1),
                headers: z.record(z.string(), z.union([z.literal(''), pattern])),
              })
              .strict(),
          )
          .default([]),
        /** Headers only our own outgoing mail carries (our mail coming back, policy §5). */
        selfHeaders: z.array(z.string()).default([]),
        subjectPrefixes: patterns,
        /** Self-declared automatic mail in the first lines of the body. */
        bodyMarkers: patterns,
        /** How many lines at the top of the body `bodyMarkers` look at. */
        bodyMarkerLines: z.number().int().positive().default(5),
        /**
         * Lines that open a quoted or forwarded message, besides the authorship section's: the
         * body markers only read the sender's own lines above them.
         */
        quoteStarts: patterns.default([]),
        /** Subjects of a person forwarding a message ("Fwd:", "ENC:"): their body markers are not read. */
        forwardSubjects: patterns.default([]),
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
    /** Reply texts per language (config/texts.yaml); placeholders are {{name}}. */
    texts: z.object({ pt: TextSetSchema, en: TextSetSchema }).strict(),
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
