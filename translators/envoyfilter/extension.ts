/**
 * @module translators/envoyfilter/extension
 * EXTENSION_CONFIG, as istiod's extension_configuration_patch.go: every ADD defines a named
 * `TypedExtensionConfig` for the proxies the EnvoyFilter selects (no match beyond the proxy: the
 * context and object matches do not apply to it), served over ECDS under that name. An HTTP or
 * listener filter refers to it by `config_discovery` (an ExtensionConfigSource on ADS). Other
 * operations on EXTENSION_CONFIG do nothing, as in istiod.
 *
 * Unlike istiod, which serves every ADD with a requested name (two ADDs of one name: two
 * resources of that name in one response), the first ADD of a name wins and later ones are
 * reported as skipped — xDS cannot serve two resources with one name; a config failing Envoy's
 * validate.rules is skipped too. Pure.
 */
import { VALUE_TYPE } from '../../model/envoyfilter.js';
import { ECDS } from '../../proto/typeurls.js';
import type { Obj, PatchSkip, ProtoOps, Unit } from './ops.js';

/** The extension configs `units` define, by name, in patch order; skipped ADDs go to `skips`. */
export function extensionConfigs(
  units: readonly Unit[],
  ops: ProtoOps,
  skips: PatchSkip[],
  onDefined: (name: string, u: Unit) => void = () => undefined,
): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const u of units) {
    if (u.patch.applyTo !== 'EXTENSION_CONFIG' || u.patch.operation !== 'ADD' || !u.patch.value) continue;
    const value = u.patch.value as Obj;
    const name = typeof value['name'] === 'string' ? value['name'] : '';
    const reason = !name
      ? 'an extension config needs a name (ECDS serves it by name)'
      : out.has(name)
        ? `an extension config named ${name} is already defined; xDS cannot serve two`
        : ops.violations(VALUE_TYPE.EXTENSION_CONFIG, value).slice(0, 3).join('; ');
    if (reason) skips.push({ filter: u.filter, patchIndex: u.index, typeUrl: ECDS, resource: name || '<unnamed>', reason });
    else {
      out.set(name, value);
      onDefined(name, u);
    }
  }
  return out;
}
