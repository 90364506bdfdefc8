import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The decision core is pure (architecture §1): it imports only from src/core (types from the
 * rules schema excepted) and node:crypto for the case-token HMAC; no clock, no environment.
 * `triage explain` and the workers decide identically only while this holds.
 */
const CORE = path.resolve(__dirname, '../../../src/core');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles(CORE).map((file) => ({ file: path.relative(CORE, file), text: readFileSync(file, 'utf8') }));
const IMPORT = /^\s*import\s+(type\s+)?[^'"]*?from\s+'([^']+)'|^\s*export\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm;

describe('the decision core', () => {
  it.each(files.map((f) => [f.file, f.text] as const))('when %s is read, then it imports nothing outside the core', (file, text) => {
    const outside: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const typeOnly = Boolean(m[1] ?? m[3]);
      const target = (m[2] ?? m[4])!;
      if (target === 'node:crypto') continue;
      if (target.startsWith('.')) {
        const resolved = path.resolve(path.dirname(path.join(CORE, file)), target);
        if (resolved.startsWith(CORE)) continue;
        if (typeOnly && resolved.endsWith(path.join('config', 'schema'))) continue;
      }
      outside.push(`${target}${typeOnly ? ' (type)' : ''}`);
    }
    expect(outside).toEqual([]);
  });

  it.each(files.map((f) => [f.file, f.text] as const))('when %s is read, then it reads no clock and no environment', (_file, text) => {
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/\bDate\.now\(|\bnew Date\(\)|\bprocess\.env\b|\bconsole\./);
  });
});
