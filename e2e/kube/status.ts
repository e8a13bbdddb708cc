// Contract: builders for the metav1.Status error bodies the fake API server returns. Each builder
// reproduces the message/reason/details/code that kube-apiserver's k8s.io/apimachinery/pkg/api/errors
// constructors (NewNotFound, NewForbidden, NewResourceExpired, NewInvalid, NewTimeoutError, ...) and
// the authorization filter (responsewriters.Forbidden) produce, so clients see byte-for-byte the same
// shape as from a real cluster. Pure data; no I/O. `ApiStatusError` carries a Status out of the
// programmatic store API (thrown by create/update/delete on conflicts etc.).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string; resourceVersion?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  /** Absent on the Success Status a DELETE returns (genericregistry finalizeDelete sets no code). */
  code?: number;
}

/** A (group, resource) pair; `group` is '' for the core API. */
export interface GroupResource {
  group: string;
  resource: string;
}

export class ApiStatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'ApiStatusError';
  }
}

/** `services` for core, `virtualservices.networking.istio.io` for groups (schema.GroupResource.String()). */
export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) s.details = details;
  return s;
}

function grDetails(gr: GroupResource, name?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return d;
}

/** Unknown URL / resource not served (e.g. CRD not installed): the generic NotFound handler's body. */
export function notFoundPath(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function notFound(gr: GroupResource, name: string): Status {
  return failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, grDetails(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): Status {
  return failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, grDetails(gr, name));
}

export function conflict(gr: GroupResource, name: string): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    grDetails(gr, name),
  );
}

/** errors.NewInvalid: 422 naming the kind, the object and each invalid field. */
export function invalid(kind: string, group: string, name: string, causes: Array<{ field: string; message: string }>): Status {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${kind} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
  const details: StatusDetails = {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  };
  return failure(422, 'Invalid', message, details);
}

/** Attributes of a rejected request, as the authorizer saw them. */
export interface ForbiddenAttrs {
  user: string;
  verb: string;
  gr: GroupResource;
  namespace?: string;
  name?: string;
}

/** responsewriters.Forbidden + errors.NewForbidden. */
export function forbidden(a: ForbiddenAttrs): Status {
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${a.user}" cannot ${a.verb} resource "${a.gr.resource}" in API group "${a.gr.group}" ${scope}`;
  const subject = a.name ? `${qualified(a.gr)} "${a.name}"` : qualified(a.gr);
  return failure(403, 'Forbidden', `${subject} is forbidden: ${why}`, grDetails(a.gr, a.name));
}

/** Watch cache: the requested watch RV predates the retained history. Sent as an ERROR watch event. */
export function watchTooOld(requested: number, oldest: number): Status {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** etcd3 store: list with resourceVersionMatch=Exact at a compacted revision. */
export function listTooOld(): Status {
  return failure(410, 'Expired', 'The resourceVersion for the provided list is too old.');
}

/** etcd3 store: a continue token whose snapshot revision has been compacted. */
export function continueExpired(newToken: string): Status {
  const s = failure(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list ' +
      'without the continue parameter, or use the continue token in this response to retrieve the remainder of ' +
      'the results. Continuing with the provided token results in an inconsistent list - objects that were ' +
      'created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
  s.metadata.continue = newToken;
  return s;
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

/** errors.NewInvalid(meta.k8s.io ListOptions, "", errs) for ListOptions validation failures. */
export function invalidListOptions(errs: Array<{ field: string; detail: string }>): Status {
  const texts = errs.map((e) => `${e.field}: Forbidden: ${e.detail}`);
  const agg = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return failure(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${agg}`, {
    group: 'meta.k8s.io',
    kind: 'ListOptions',
    causes: errs.map((e) => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${e.detail}`, field: e.field })),
  });
}

/** storage.NewTooLargeResourceVersionError: RV newer than the server has seen (after waiting ~3s). */
export function tooLargeResourceVersion(requested: number, current: number): Status {
  return failure(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

export function serviceUnavailable(): Status {
  return failure(503, 'ServiceUnavailable', 'service unavailable');
}

export function methodNotSupported(gr: GroupResource, verb: string): Status {
  return failure(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, grDetails(gr));
}

export function deleteSuccess(gr: GroupResource, name: string, uid: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...grDetails(gr, name), uid } };
}
