/**
 * The config events istiod counts (pilot_k8s_cfg_events / pilot_k8s_reg_events) as the store
 * stage derives them from source events: add, update and delete per kind, also for a whole-file
 * `replace` (only what changed in it).
 */
import { strict as assert } from 'node:assert';
import { storeFromTexts } from './snapshot.js';
import { parseConfigText } from '../file/parse.js';
import { configEvents } from './events.js';

const VS = (host: string, name = 'r') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec: {hosts: [${host}], http: [{route: [{destination: {host: ${host}}}]}]}
`;

describe('watchers/store/events', () => {
  it('counts add, update and delete per kind, and for a replaced file only what changed', () => {
    const { state } = storeFromTexts([{ source: 'a.yaml', text: VS('reviews') + '---\n' + VS('ratings', 'keep') }]);
    const seen: string[] = [];
    const emit = (kind: string, event: string): void => {
      seen.push(`${event} ${kind}`);
    };
    const parsed = parseConfigText(VS('details') + '---\n' + VS('ratings', 'keep') + '---\n' + VS('x', 'new'), 'a.yaml');
    assert.ok(parsed.ok);
    configEvents(state.objects, { type: 'replace', origin: { source: 'a.yaml' }, objects: parsed.file.objects, rejections: [] }, emit);
    assert.deepEqual(seen.sort(), ['add VirtualService', 'update VirtualService']);
    seen.length = 0;
    configEvents(state.objects, { type: 'delete', key: 'VirtualService/default/r', origin: { source: 'a.yaml' } }, emit);
    configEvents(state.objects, { type: 'delete', key: 'VirtualService/default/ghost', origin: { source: 'a.yaml' } }, emit);
    configEvents(
      state.objects,
      { type: 'upsert', key: 'Service/default/s', object: parsed.file.objects[0]!.object, origin: { source: 'k8s' } },
      emit,
    );
    assert.deepEqual(seen, ['delete VirtualService', 'add Service']);
    seen.length = 0;
    configEvents(state.objects, { type: 'replace', origin: { source: 'a.yaml' }, objects: [], rejections: [] }, emit);
    assert.deepEqual(seen, ['delete VirtualService', 'delete VirtualService']);
  });
});
