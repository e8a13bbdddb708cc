// Contract: the list verb and the query-parameter rules shared with watch, as kube-apiserver applies
// them (ValidateListOptions, the etcd3 store's paging, the watch cache's RV semantics):
// - validation failures -> 422 Invalid on ListOptions.meta.k8s.io (same field errors as upstream);
//   malformed selectors / resourceVersion / continue -> 400 BadRequest.
// - resourceVersion unset/"" -> consistent read at the current revision, limit honoured;
//   "0" -> served "from the watch cache": current state, limit IGNORED (legacy cache behaviour);
//   X + resourceVersionMatch=NotOlderThan (or no match and no limit) -> wait up to `tooLargeWaitMs`
//   for the store to reach X (else 504 ResourceVersionTooLarge), then the current state;
//   X + Exact (or no match but a limit: legacy "Exact") -> state at X, 410 Expired when compacted.
// - limit/continue: items in etcd key order; the page is filled up to `limit` matching items and
//   `continue` is set whenever raw keys remain (it may yield an empty next page, as in etcd);
//   remainingItemCount only without selectors. The token is etcd's {"v","rv","start"} base64url;
//   continued pages are served from the snapshot of the first page (consistent); a token whose
//   revision was compacted -> 410 Expired carrying a fresh token (rv -1 = continue at latest).
import { apiVersionOf, type ResourceDef } from './registry.js';
import { isEmptySelector, matches, parseFieldSelector, parseLabelSelector, SelectorError, type Selector } from './selectors.js';
import { ApiStatusError, badRequest, continueExpired, invalidListOptions, listTooOld, tooLargeResourceVersion } from './status.js';
import type { Store, StoredObject } from './store.js';

export type Query = URLSearchParams;

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** Go strconv.ParseBool as used for query parameters; undefined when absent. */
export function boolParam(q: Query, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ApiStatusError(badRequest(`invalid boolean value for ${name}: "${v}"`));
}

/** Parses resourceVersion: undefined for unset/"", else a non-negative integer (400 otherwise). */
export function rvParam(q: Query): number | undefined {
  const v = q.get('resourceVersion');
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ApiStatusError(badRequest(`invalid resource version: ${v}`));
  return Number(v);
}

export function selectorFrom(q: Query, def: ResourceDef): Selector {
  try {
    return {
      labels: parseLabelSelector(q.get('labelSelector') ?? ''),
      fields: parseFieldSelector(q.get('fieldSelector') ?? '', ['metadata.name', 'metadata.namespace', ...(def.fieldLabels ?? [])]),
    };
  } catch (e) {
    if (e instanceof SelectorError) throw new ApiStatusError(badRequest(e.message));
    throw e;
  }
}

/** ValidateListOptions (apimachinery/pkg/apis/meta/internalversion/validation), WatchList enabled. */
export function validateListOptions(q: Query, watch: boolean): void {
  const errs: Array<{ field: string; detail: string }> = [];
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const cont = q.get('continue') ?? '';
  const sie = q.get('sendInitialEvents');
  if (watch) {
    if (sie !== null && match !== 'NotOlderThan') {
      errs.push({ field: 'resourceVersionMatch', detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
    }
    if (match !== '') {
      if (sie === null)
        errs.push({
          field: 'resourceVersionMatch',
          detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        });
      if (match !== 'NotOlderThan')
        errs.push({ field: 'resourceVersionMatch', detail: `Unsupported value: "${match}": supported values: "NotOlderThan"` });
      if (cont !== '') errs.push({ field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden when continue is provided' });
    }
  } else {
    if (match !== '') {
      if (rv === '')
        errs.push({ field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
      if (cont !== '') errs.push({ field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden when continue is provided' });
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        errs.push({
          field: 'resourceVersionMatch',
          detail: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`,
        });
      }
      if (match === 'Exact' && rv === '0')
        errs.push({ field: 'resourceVersionMatch', detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
    }
    if (sie !== null) errs.push({ field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for list' });
  }
  if (errs.length > 0) throw new ApiStatusError(invalidListOptions(errs));
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const encodeContinue = (rv: number, start: string): string =>
  Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');

function decodeContinue(token: string): ContinueToken {
  let t: ContinueToken;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw new ApiStatusError(badRequest('invalid continue token: continue key is not valid: illegal base64 data or JSON'));
  }
  if (
    t === null ||
    typeof t !== 'object' ||
    t.v !== 'meta.k8s.io/v1' ||
    typeof t.rv !== 'number' ||
    typeof t.start !== 'string' ||
    t.rv === 0
  ) {
    throw new ApiStatusError(
      badRequest('invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'),
    );
  }
  if (t.start.startsWith('/') || t.start.includes('..')) {
    throw new ApiStatusError(badRequest('invalid continue token: continue key is not valid: path traversal attempt detected'));
  }
  return t;
}

export interface ListContext {
  def: ResourceDef;
  version: string;
  namespace?: string;
  tooLargeWaitMs: number;
}

async function waitForRV(store: Store, rv: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (store.currentRV < rv) {
    if (Date.now() >= deadline) throw new ApiStatusError(tooLargeResourceVersion(rv, store.currentRV));
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function listObjects(store: Store, ctx: ListContext, q: Query): Promise<Record<string, unknown>> {
  const { def, version, namespace } = ctx;
  validateListOptions(q, false);
  const selector = selectorFrom(q, def);
  const limitRaw = q.get('limit');
  let limit = limitRaw === null || limitRaw === '' ? 0 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0) limit = 0;
  const prefix = namespace !== undefined ? `${namespace}/` : '';
  const cont = q.get('continue') ?? '';
  const rvRaw = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';

  let snapshotRv: number;
  let startKey = '';
  if (cont !== '') {
    const tok = decodeContinue(cont);
    if (rvRaw !== '' && rvRaw !== '0')
      throw new ApiStatusError(badRequest('specifying resource version is not allowed when using continue'));
    startKey = prefix + tok.start;
    snapshotRv = tok.rv < 0 ? store.currentRV : tok.rv;
    if (tok.rv > 0 && store.snapshotAt(def, tok.rv) === undefined) {
      throw new ApiStatusError(continueExpired(encodeContinue(-1, tok.start)));
    }
  } else {
    const rv = rvParam(q);
    if (rv === undefined) {
      snapshotRv = store.currentRV;
    } else if (rv === 0) {
      snapshotRv = store.currentRV;
      limit = 0; // served from the watch cache, which ignores limit
    } else if (match === 'Exact' || (match === '' && limit > 0)) {
      if (rv > store.currentRV) await waitForRV(store, rv, ctx.tooLargeWaitMs);
      if (store.snapshotAt(def, rv) === undefined) throw new ApiStatusError(listTooOld());
      snapshotRv = rv;
    } else {
      await waitForRV(store, rv, ctx.tooLargeWaitMs);
      snapshotRv = store.currentRV;
    }
  }
  const entries = (store.snapshotAt(def, snapshotRv) ?? []).filter(([k]) => k.startsWith(prefix) && k >= startKey);

  const items: StoredObject[] = [];
  let last = -1;
  for (let i = 0; i < entries.length; i++) {
    if (limit > 0 && items.length >= limit) break;
    last = i;
    if (matches(selector, entries[i][1])) items.push(entries[i][1]);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(snapshotRv) };
  const remaining = entries.length - 1 - last;
  if (limit > 0 && remaining > 0) {
    metadata.continue = encodeContinue(snapshotRv, entries[last][0].slice(prefix.length) + '\u0000');
    if (isEmptySelector(selector)) metadata.remainingItemCount = remaining;
  }
  const apiVersion = apiVersionOf(def.group, version);
  return {
    kind: `${def.kind}List`,
    apiVersion,
    metadata,
    // Built-in lists are typed: their items carry no apiVersion/kind. Custom resources are
    // unstructured and every item keeps its own apiVersion/kind.
    items: items.map((o) => (def.crd ? { apiVersion, kind: def.kind, ...o } : o)),
  };
}
