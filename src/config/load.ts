import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors';
import { RulesSchema, type Rules } from './schema';

/** The config folder shipped with the project (config/ beside dist/ and src/). */
export const DEFAULT_CONFIG_DIR = resolve(__dirname, '..', '..', 'config');

/**
 * Reads every `*.yaml` in `dir` (but `*.test.yaml`), merges their top-level keys into one rules
 * object and validates it. Each top-level key lives in exactly one file, so every problem can be
 * reported with the file that holds it. Throws ConfigError listing every problem at once.
 */
export function loadRules(dir: string = DEFAULT_CONFIG_DIR): Rules {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
    .sort();
  return loadRulesFromFiles(files.map((f) => join(dir, f)));
}

export function loadRulesFromFiles(paths: string[]): Rules {
  const merged: Record<string, unknown> = {};
  const owner = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const path of paths) {
    const file = basename(path);
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      issues.push({ file, key: '', message: `cannot read as YAML: ${(err as Error).message}` });
      continue;
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      issues.push({ file, key: '', message: 'must be a mapping of keys to values' });
      continue;
    }
    for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
      // `x-…` keys hold shared YAML anchors (vocabulary reused by several rules), not settings.
      if (key.startsWith('x-')) continue;
      const earlier = owner.get(key);
      if (earlier) {
        issues.push({ file, key, message: `already defined in ${earlier}` });
        continue;
      }
      owner.set(key, file);
      merged[key] = value;
    }
  }
  const result = RulesSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const top = String(issue.path[0] ?? '');
      issues.push({
        file: owner.get(top) ?? '(no file)',
        key: issue.path.join('.'),
        message: issue.message,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(result.data as Rules);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
