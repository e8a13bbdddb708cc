/**
 * @module watchers/validate/testkit
 * Test helpers for the validators: run one raw object through `validateObject` (default namespace
 * `default`, source `f.yaml`) and assert it was rejected — returning the rejection, so a test can
 * check the field and reason it names — or accepted, returning the normalised object.
 */
import assert from 'node:assert/strict';
import { validateObject } from './index.js';
import type { Rejection } from '../../model/config.js';

/** Asserts `o` is rejected and returns the rejection (kind, key, field, reason…). */
export function rejected(o: unknown): Rejection {
  const v = validateObject(o, 'default', 'f.yaml');
  assert.equal(v.status, 'rejected', JSON.stringify(v));
  if (v.status !== 'rejected') throw new Error('unreachable');
  return v.rejection;
}

/** Asserts `o` is accepted and returns the validated object. */
export function accepted(o: unknown): unknown {
  const v = validateObject(o, 'default', 'f.yaml');
  assert.equal(v.status, 'ok', JSON.stringify(v));
  return v.status === 'ok' ? v.object : undefined;
}
