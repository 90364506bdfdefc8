import { simpleParser } from 'mailparser';
import { parseMessage } from '../adapters/mime';
import { loadRules } from '../config/load';
import type { Rules } from '../core';
import { explainMessage } from '../explain';
import type { BenchSection } from './measure';

/**
 * The sections the benchmark times, each over the same generated messages. Add a section by
 * writing another factory here (or in its own file) and listing it in run.ts.
 */

/** (a) mailparser's simpleParser alone, with its defaults: the baseline of the target. */
export function simpleParserSection(): BenchSection {
  return {
    name: 'simpleParser',
    title: 'mailparser simpleParser alone',
    handle: (message) => simpleParser(message.raw),
  };
}

/** The mime adapter alone (parseMessage), to tell parsing from deciding in (b). */
export function parseMessageSection(): BenchSection {
  return {
    name: 'parseMessage',
    title: 'parseMessage alone (mime adapter)',
    handle: (message) => parseMessage(message.raw),
  };
}

/** (b) what `triage explain` does per message: parseMessage + decide(), never throwing. */
export function explainSection(rules: Rules = loadRules()): BenchSection {
  return {
    name: 'explain',
    title: 'explainMessage (parse + decide)',
    handle: (message) => explainMessage(message.raw, rules, `bench-${message.kind}.eml`),
  };
}
