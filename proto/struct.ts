/**
 * @module proto/struct
 * google.protobuf.Struct / Value in the decoded protobufjs form (`{fields:{k:{stringValue}}}`)
 * converted to and from plain JSON values. Pure.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface DecodedValue {
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: DecodedStruct;
  listValue?: { values?: DecodedValue[] };
}
interface DecodedStruct {
  fields?: Record<string, DecodedValue>;
}

export function valueToJson(v: DecodedValue | undefined): Json {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.structValue !== undefined) return structToJson(v.structValue);
  if (v.listValue !== undefined) return (v.listValue.values ?? []).map(valueToJson);
  return null;
}

export function structToJson(s: DecodedStruct | undefined | null): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  if (!s?.fields) return out;
  for (const k of Object.keys(s.fields)) out[k] = valueToJson(s.fields[k]);
  return out;
}

export function jsonToValue(j: Json): DecodedValue {
  if (j === null) return { nullValue: 0 };
  if (typeof j === 'string') return { stringValue: j };
  if (typeof j === 'number') return { numberValue: j };
  if (typeof j === 'boolean') return { boolValue: j };
  if (Array.isArray(j)) return { listValue: { values: j.map(jsonToValue) } };
  return { structValue: jsonToStruct(j) };
}

export function jsonToStruct(o: { [k: string]: Json }): DecodedStruct {
  const fields: Record<string, DecodedValue> = {};
  for (const k of Object.keys(o).sort()) fields[k] = jsonToValue(o[k] as Json);
  return { fields };
}
