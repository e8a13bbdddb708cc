/**
 * The Interner's encode memo (issue 18 item 3): an unchanged message is not encoded again (the
 * same shared buffer comes back, across one generation rotation), a changed one is, and equal
 * content under another name is a different resource.
 */
import { strict as assert } from 'node:assert';
import { CDS, MESSAGE_OF } from '../../proto/typeurls.js';
import { Interner } from './classsnapshot.js';

const cluster = (name: string, ms: number): object => ({ name, type: 'STATIC', connect_timeout: { seconds: 0, nanos: ms * 1_000_000 } });

describe('server/cache Interner.encode', () => {
  it('returns the same encoded resource for the same message, a new one when it changes', () => {
    const i = new Interner();
    const a = i.encode(CDS, MESSAGE_OF[CDS], 'a', cluster('a', 100));
    assert.equal(i.encode(CDS, MESSAGE_OF[CDS], 'a', cluster('a', 100)), a, 'same content: the memo hit, same buffer');
    i.rotate();
    assert.equal(i.encode(CDS, MESSAGE_OF[CDS], 'a', cluster('a', 100)), a, 'still shared after one rotation');
    const changed = i.encode(CDS, MESSAGE_OF[CDS], 'a', cluster('a', 200));
    assert.notEqual(changed.version, a.version);
    assert.notDeepEqual(changed.any, a.any);
    const other = i.encode(CDS, MESSAGE_OF[CDS], 'b', cluster('a', 100));
    assert.notEqual(other, a, 'the name is part of the key');
  });
});
