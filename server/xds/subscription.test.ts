/**
 * One classification of requests for SotW and Delta (issue 15 item 4): `classifyRequest` alone
 * (the nonce rules), then each protocol end to end through its Protocol's onRequest over a fake
 * ResourceSnapshot — initial, ACK, NACK, stale, new subscription, unsubscribe — in one table.
 */
import { strict as assert } from 'node:assert';
import type { EncodedResource } from '../../proto/encode.js';
import { CDS, EDS, type XdsType } from '../../proto/typeurls.js';
import type { DeltaRequest, SotwRequest } from '../../proto/wire.js';
import type { ResourceSnapshot } from '../cache/api.js';
import { typeVersion } from '../cache/classsnapshot.js';
import { delta } from './delta.js';
import { sotw } from './sotw.js';
import type { DeltaPart, ProtocolPart, SotwPart, StreamState } from './state.js';
import {
  classifyRequest,
  newSubscription,
  recordReply,
  replaceNames,
  subscribe,
  unsubscribe,
  type Classified,
  type ReplyState,
} from './subscription.js';

/** A snapshot holding clusters c1, c2 and the endpoints of e1, e2. */
function fakeSnapshot(): ResourceSnapshot {
  const res = (typeUrl: XdsType, name: string): EncodedResource => ({
    name,
    typeUrl,
    bytes: new Uint8Array([1]),
    any: new Uint8Array([1]),
    version: `v-${name}`,
  });
  const by = new Map<XdsType, Map<string, EncodedResource>>([
    [CDS, new Map(['c1', 'c2'].map((n) => [n, res(CDS, n)]))],
    [EDS, new Map(['e1', 'e2'].map((n) => [n, res(EDS, n)]))],
  ]);
  const of = (t: XdsType): Map<string, EncodedResource> => by.get(t) ?? new Map();
  const shared = new Map<string, ReadonlyMap<string, EncodedResource>>();
  return {
    classKey: 'fake',
    unavailable: null,
    names: (t) => [...of(t).keys()],
    get: (t, n) => of(t).get(n),
    clusterKey: () => undefined,
    wildcardSet: (t) => {
      const resources = [...of(t).values()];
      return { resources, version: typeVersion(resources), map: of(t) };
    },
    sharedSet: (t, v, make) => {
      const k = `${t}/${v}`;
      if (!shared.has(k)) shared.set(k, make());
      return shared.get(k)!;
    },
  };
}

const stream = <P extends ProtocolPart>(kind: P['kind']): StreamState<P> => ({
  id: 's',
  proxy: null as never,
  node: null as never,
  kind,
  connectedAt: 0,
  peer: '',
  types: new Map(),
  nonceSeq: 0,
});

describe('server/xds classifyRequest', () => {
  const rows: {
    name: string;
    sent: string;
    nonce: string;
    error: boolean;
    added: boolean;
    removed: boolean;
    first: boolean;
    want: Classified;
  }[] = [
    {
      name: 'no nonce: initial',
      sent: '',
      nonce: '',
      error: false,
      added: true,
      removed: false,
      first: true,
      want: { kind: 'initial', subscribed: true, unsubscribed: false },
    },
    {
      name: 'no nonce on a later request: still initial, not a new subscription',
      sent: '3',
      nonce: '',
      error: false,
      added: false,
      removed: false,
      first: false,
      want: { kind: 'initial', subscribed: false, unsubscribed: false },
    },
    {
      name: 'latest nonce: ACK',
      sent: '3',
      nonce: '3',
      error: false,
      added: false,
      removed: false,
      first: false,
      want: { kind: 'ack', subscribed: false, unsubscribed: false },
    },
    {
      name: 'latest nonce with error_detail: NACK (rule 11)',
      sent: '3',
      nonce: '3',
      error: true,
      added: false,
      removed: false,
      first: false,
      want: { kind: 'nack', subscribed: false, unsubscribed: false },
    },
    {
      name: 'older nonce: stale, its new names still count (rule 12)',
      sent: '3',
      nonce: '2',
      error: false,
      added: true,
      removed: false,
      first: false,
      want: { kind: 'stale', subscribed: true, unsubscribed: false },
    },
    {
      name: 'older nonce with error_detail: stale, not a NACK',
      sent: '3',
      nonce: '2',
      error: true,
      added: false,
      removed: false,
      first: false,
      want: { kind: 'stale', subscribed: false, unsubscribed: false },
    },
    {
      name: 'a nonce from another stream (rule 1) on the first request: stale, a new subscription',
      sent: '',
      nonce: 'x',
      error: false,
      added: true,
      removed: false,
      first: true,
      want: { kind: 'stale', subscribed: true, unsubscribed: false },
    },
    {
      name: 'ACK that drops names: unsubscribe',
      sent: '3',
      nonce: '3',
      error: false,
      added: false,
      removed: true,
      first: false,
      want: { kind: 'ack', subscribed: false, unsubscribed: true },
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const req = { responseNonce: r.nonce, errorDetail: r.error ? { code: 3, message: 'bad' } : null };
      assert.deepEqual(classifyRequest(r.sent, req, { added: r.added, removed: r.removed }, r.first), r.want);
    });
  }

  it('recordReply: SotW records the version the client states; Delta an ACK of what was sent; a NACK keeps the rejected version', () => {
    const ts: ReplyState = { versionSent: 'v2', ackedVersion: '', ackedAt: 0, ackedNonce: '', nack: null };
    recordReply(ts, 'ack', { responseNonce: 'n1', errorDetail: null }, 'v1', 10);
    assert.deepEqual([ts.ackedVersion, ts.ackedNonce, ts.ackedAt], ['v1', 'n1', 10]);
    recordReply(ts, 'nack', { responseNonce: 'n2', errorDetail: { code: 3, message: 'no' } }, null, 11);
    assert.equal(ts.ackedVersion, 'v1', 'a Delta NACK does not move the acked version');
    assert.deepEqual(ts.nack, { version: 'v2', nonce: 'n2', message: 'no', at: 11 });
    recordReply(ts, 'ack', { responseNonce: 'n3', errorDetail: null }, null, 12);
    assert.equal(ts.ackedVersion, 'v2');
    assert.equal(ts.nack, null);
  });
});

describe('server/xds subscription model', () => {
  it('SotW: "*" or a first empty list is wildcard (LDS/CDS only); once named, an empty list is none (rule 13)', () => {
    const s = newSubscription();
    assert.deepEqual(replaceNames(s, CDS, []), { added: true, removed: false });
    assert.equal(s.wildcard, true);
    assert.deepEqual(replaceNames(s, CDS, ['c1']), { added: true, removed: true });
    assert.equal(s.wildcard, false);
    assert.deepEqual(replaceNames(s, CDS, []), { added: false, removed: true });
    assert.equal(s.wildcard, false, 'not wildcard again');
    const e = newSubscription();
    replaceNames(e, EDS, []);
    assert.equal(e.wildcard, false, 'EDS is never wildcard');
  });

  it('Delta: subscribe adds (any name counts, rule 20), unsubscribe reports what a wildcard still covers (rule 22)', () => {
    const s = newSubscription();
    assert.equal(subscribe(s, CDS, ['*', 'c1'], true), true);
    assert.equal(subscribe(s, CDS, ['c1'], false), true, 'already subscribed: still owed a response');
    assert.deepEqual(unsubscribe(s, ['c1', 'never']), [
      { name: 'c1', covered: true },
      { name: 'never', covered: true },
    ]);
    assert.deepEqual(unsubscribe(s, ['*', 'c2']), [{ name: 'c2', covered: false }]);
    assert.equal(s.wildcard, false);
    assert.equal(subscribe(s, CDS, [], false), false, 'an empty later request is not legacy wildcard');
  });
});

type Step = {
  readonly sotw: Partial<SotwRequest>;
  readonly delta: Partial<DeltaRequest>;
  readonly kind: string;
  readonly resubscribed: boolean;
  readonly response: boolean;
};

describe('server/xds protocols classify the same requests the same way', () => {
  // One conversation, written once for both protocols; `nonce` '$' is the latest nonce sent.
  const steps: (Step & { name: string })[] = [
    {
      name: 'initial EDS request',
      sotw: { resourceNames: ['e1'] },
      delta: { resourceNamesSubscribe: ['e1'] },
      kind: 'initial',
      resubscribed: true,
      response: true,
    },
    {
      name: 'ACK',
      sotw: { resourceNames: ['e1'], responseNonce: '$' },
      delta: { responseNonce: '$' },
      kind: 'ack',
      resubscribed: false,
      response: false,
    },
    {
      name: 'new subscription on an ACK',
      sotw: { resourceNames: ['e1', 'e2'], responseNonce: '$' },
      delta: { resourceNamesSubscribe: ['e2'], responseNonce: '$' },
      kind: 'ack',
      resubscribed: true,
      response: true,
    },
    {
      name: 'stale nonce, names unchanged',
      sotw: { resourceNames: ['e1', 'e2'], responseNonce: 'old' },
      delta: { responseNonce: 'old' },
      kind: 'stale',
      resubscribed: false,
      response: false,
    },
    {
      name: 'NACK',
      sotw: { resourceNames: ['e1', 'e2'], responseNonce: '$', errorDetail: { code: 3, message: 'rejected' } },
      delta: { responseNonce: '$', errorDetail: { code: 3, message: 'rejected' } },
      kind: 'nack',
      resubscribed: false,
      response: false,
    },
  ];
  for (const variant of ['sotw', 'delta'] as const) {
    it(`${variant}: initial, ACK, new subscription, stale, NACK`, () => {
      const snap = fakeSnapshot();
      let last = '';
      const sp = sotw();
      const sst = stream<SotwPart>('sotw');
      const dp = delta();
      const dst = stream<DeltaPart>('delta');
      const nonceOf = (n: string | undefined): string => (n === '$' ? last : (n ?? ''));
      const run = (s: Step) =>
        variant === 'sotw'
          ? sp.onRequest(
              sst,
              EDS,
              {
                versionInfo: '',
                node: null,
                resourceNames: [],
                typeUrl: EDS,
                errorDetail: null,
                ...s.sotw,
                responseNonce: nonceOf(s.sotw.responseNonce),
              },
              snap,
              0,
            )
          : dp.onRequest(
              dst,
              EDS,
              {
                node: null,
                typeUrl: EDS,
                resourceNamesSubscribe: [],
                resourceNamesUnsubscribe: [],
                initialResourceVersions: {},
                errorDetail: null,
                ...s.delta,
                responseNonce: nonceOf(s.delta.responseNonce),
              },
              snap,
              0,
            );
      for (const s of steps) {
        const o = run(s);
        assert.deepEqual(
          { kind: o.kind, resubscribed: o.resubscribed, response: o.response !== null },
          { kind: s.kind, resubscribed: s.resubscribed, response: s.response },
          s.name,
        );
        if (o.response) last = o.response.nonce;
      }
    });
  }

  it('unsubscribing sends Delta a response only when something is owed, and SotW none (a removal needs no response)', () => {
    const snap = fakeSnapshot();
    const sp = sotw();
    const sst = stream<SotwPart>('sotw');
    const r1 = sp.onRequest(
      sst,
      EDS,
      { versionInfo: '', node: null, resourceNames: ['e1', 'e2'], typeUrl: EDS, responseNonce: '', errorDetail: null },
      snap,
      0,
    );
    const o = sp.onRequest(
      sst,
      EDS,
      {
        versionInfo: r1.response!.versionInfo,
        node: null,
        resourceNames: ['e1'],
        typeUrl: EDS,
        responseNonce: r1.response!.nonce,
        errorDetail: null,
      },
      snap,
      0,
    );
    assert.deepEqual([o.kind, o.response], ['ack', null]);
    const dp = delta();
    const dst = stream<DeltaPart>('delta');
    const base = { node: null, typeUrl: CDS, resourceNamesUnsubscribe: [], initialResourceVersions: {}, errorDetail: null };
    const d1 = dp.onRequest(dst, CDS, { ...base, resourceNamesSubscribe: ['*'], responseNonce: '' }, snap, 0);
    assert.deepEqual(
      d1.response!.resources.map((r) => r.name),
      ['c1', 'c2'],
    );
    // Rule 22: still covered by the wildcard, so the client gets c1 back.
    const d2 = dp.onRequest(
      dst,
      CDS,
      { ...base, resourceNamesSubscribe: [], resourceNamesUnsubscribe: ['c1'], responseNonce: d1.response!.nonce },
      snap,
      0,
    );
    assert.deepEqual([d2.kind, d2.response!.resources.map((r) => r.name)], ['ack', ['c1']]);
  });
});
