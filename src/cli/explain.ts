import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRules } from '../config/load';
import { ConfigError } from '../errors';
import { explainMessage, type ExplainLine } from '../explain';
import { formatReport } from './report';

/**
 * `triage explain`: one decision per message. Never stops on one bad file: an unreadable or
 * unparseable message is reported as `review` with the reason. Exit code 2 only for usage errors
 * (no such path, bad config).
 */
export async function runExplain(paths: string[], options: { json?: boolean; config?: string }): Promise<number> {
  let rules;
  try {
    rules = loadRules(options.config);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 2;
  }
  let files: string[];
  try {
    files = await listMessages(paths);
  } catch (err) {
    process.stderr.write(`triage explain: ${(err as Error).message}\n`);
    return 2;
  }
  for (const file of files) {
    let line: ExplainLine;
    try {
      line = await explainMessage(await readFile(file), rules, file);
    } catch (err) {
      line = await explainMessage(Buffer.alloc(0), rules, file);
      line.reasons = [`could not be read: ${(err as Error).message}`];
    }
    process.stdout.write(options.json ? `${JSON.stringify(line)}\n` : `${formatReport(line)}\n`);
  }
  return 0;
}

/** Files as given, and every `.eml` inside a folder given (sorted, recursive). */
async function listMessages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.name.toLowerCase().endsWith('.eml')) out.push(full);
  }
  return out;
}
