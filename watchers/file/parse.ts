/**
 * @module watchers/file/parse
 * Turns the text of one file into validated objects, like `kubectl apply -f`: multi-document
 * YAML (or JSON), `kind: List` expanded, each document validated on its own. A syntax error makes
 * the whole file unreadable (we cannot know which objects it meant); that is reported as an
 * error and the caller keeps the file's last good objects.
 */
import { parseAllDocuments } from 'yaml';
import type { ConfigKey, ConfigObject, IgnoredObject, Rejection } from '../../model/config.js';
import { validateObject } from '../validate/index.js';
import { ignoredReason } from './kinds.js';

export interface ParsedFile {
  readonly objects: readonly { readonly key: ConfigKey; readonly object: ConfigObject }[];
  readonly rejections: readonly Rejection[];
  /** Documents of kinds tspilot does not read, with the reason (listed in configz, logged once). */
  readonly ignored: readonly IgnoredObject[];
}

export type ParseResult = { readonly ok: true; readonly file: ParsedFile } | { readonly ok: false; readonly reason: string };

/** What a parser exception means for the person who wrote the file. */
function hostileReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/call stack/i.test(msg)) return 'nested too deeply to read (the YAML parser ran out of stack)';
  if (/alias/i.test(msg)) return `too many aliases (over 100 references, as in a YAML "billion laughs" bomb): ${msg.split('\n')[0]}`;
  return msg.split('\n')[0] ?? msg;
}

/** Deepest flow-collection nesting (`[`/`{`) accepted; real config stays far below, parsing deeper costs seconds. */
export const MAX_FLOW_DEPTH = 200;

/**
 * Where `[`/`{` nesting first passes MAX_FLOW_DEPTH (quotes and comments skipped), or -1. A linear
 * pre-check, so an over-deep document is refused at once instead of after seconds of parsing.
 */
function overDeepAt(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '#') {
      if (c === '\n') quote = '';
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) quote = '#';
    else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return -1;
}

export function parseConfigText(text: string, source: string, defaultNamespace = 'default'): ParseResult {
  const deep = overDeepAt(text);
  if (deep >= 0) {
    const line = text.slice(0, deep).split('\n').length;
    return { ok: false, reason: `line ${line}: nested too deeply (more than ${MAX_FLOW_DEPTH} levels of [ or {)` };
  }
  try {
    return parseTrusting(text, source, defaultNamespace);
  } catch (e) {
    return { ok: false, reason: hostileReason(e) };
  }
}

function parseTrusting(text: string, source: string, defaultNamespace: string): ParseResult {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const raws: unknown[] = [];
  for (const [i, doc] of list.entries()) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : `document ${i + 1}`;
      const msg = /call stack/i.test(e.message) ? hostileReason(e) : e.message.split('\n')[0];
      return { ok: false, reason: `${pos}: ${msg}` };
    }
    const v: unknown = doc.toJS({ maxAliasCount: 100 });
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v) && (v as Record<string, unknown>)['kind'] === 'List') {
      const items = (v as Record<string, unknown>)['items'];
      if (Array.isArray(items)) raws.push(...items);
      continue;
    }
    raws.push(v);
  }
  const objects: { key: ConfigKey; object: ConfigObject }[] = [];
  const rejections: Rejection[] = [];
  const ignored: IgnoredObject[] = [];
  const seen = new Set<ConfigKey>();
  for (const raw of raws) {
    const res = validateObject(raw, defaultNamespace, source);
    if (res.status === 'ok') {
      if (seen.has(res.key)) {
        const [kind, namespace, name] = res.key.split('/') as [string, string, string];
        rejections.push({
          key: res.key,
          kind,
          namespace,
          name,
          source,
          field: 'metadata.name',
          reason: 'defined twice in this file; the later one is ignored',
        });
        continue;
      }
      seen.add(res.key);
      objects.push({ key: res.key, object: res.object });
    } else if (res.status === 'rejected') rejections.push(res.rejection);
    else {
      const o = raw as { apiVersion?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
      const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
      const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
      const namespace = typeof o.metadata?.namespace === 'string' && o.metadata.namespace ? o.metadata.namespace : defaultNamespace;
      // A Secret is read when it holds TLS keys: the validator says why this one is not.
      const why =
        res.kind === 'Secret' && apiVersion === 'v1' ? { reason: res.reason, level: 'info' as const } : ignoredReason(res.kind, apiVersion);
      ignored.push({ kind: res.kind, apiVersion, namespace, name, source, ...why });
    }
  }
  return { ok: true, file: { objects, rejections, ignored } };
}
