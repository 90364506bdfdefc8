import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The project's own fixtures: tests/fixtures/eml. */
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures/eml');

/** shared/ beside the repository (eval corpus and the collected corpora); never copied in. */
export const SHARED_DIR = path.resolve(__dirname, '../../../shared');

/** Raw bytes of a fixture, by its path under tests/fixtures/eml (e.g. "mime/gb2312.eml"). */
export function loadEml(name: string): Buffer {
  return readFileSync(path.join(FIXTURES_DIR, name));
}

/** Every `.eml` under `dir`, recursively, as absolute paths in a stable (sorted) order. */
export function listEml(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listEml(full));
    else if (entry.name.toLowerCase().endsWith('.eml')) out.push(full);
  }
  return out;
}

/** Lines of a JSON Lines file, parsed. */
export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}
