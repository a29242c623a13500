import { equalsIgnoreCase, getProperty, isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { PatchOperation } from './parse-patch-request.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** A member named by a PATCH, with the display text the client sent for it. */
export interface NamedMember {
  value: string;
  display?: string;
}

/**
 * The member changes of a group PATCH that names every member it adds or removes, and its other
 * operations. The net effect per member is the last operation naming it, whatever the group held:
 * what such a PATCH does can be known without reading the group.
 */
export interface MemberChanges {
  add: NamedMember[];
  remove: string[];
  /** Operations on anything other than `members`, in order. */
  others: PatchOperation[];
}

/**
 * Splits a group PATCH into member changes and other operations when every operation on
 * `members` names its members: `add` with values, `remove` of `members[value eq "id"]`, or
 * `remove` with values (Microsoft Entra's form). Undefined when one does not (`replace` of the
 * list, `remove` of all members, a path-less operation carrying members): only the group's
 * current members tell what that changes.
 */
export function explicitMemberChanges(operations: readonly PatchOperation[]): MemberChanges | undefined {
  const net = new Map<string, { add: boolean; display?: string }>();
  const others: PatchOperation[] = [];
  for (const operation of operations) {
    const { op, path, value } = operation;
    if (!path) {
      if (isPlainObject(value) && getProperty(value, 'members') !== undefined) return undefined;
      others.push(operation);
      continue;
    }
    const onMembers =
      equalsIgnoreCase(path.attribute, 'members') &&
      (path.schema === undefined || equalsIgnoreCase(path.schema, GROUP_SCHEMA));
    if (!onMembers) {
      others.push(operation);
      continue;
    }
    if (path.subAttribute !== undefined) return undefined;
    if (op === 'add' && !path.filter) {
      for (const member of namedMembers(value)) {
        const entry: { add: boolean; display?: string } = { add: true };
        if (member.display !== undefined) entry.display = member.display;
        net.delete(member.value);
        net.set(member.value, entry);
      }
      continue;
    }
    if (op === 'remove') {
      const named = path.filter
        ? memberOfFilter(path.filter)
        : value === undefined
          ? undefined
          : namedMembers(value);
      if (named === undefined) return undefined;
      for (const member of Array.isArray(named) ? named : [named]) {
        net.delete(member.value);
        net.set(member.value, { add: false });
      }
      continue;
    }
    return undefined;
  }
  const changes: MemberChanges = { add: [], remove: [], others };
  for (const [value, change] of net) {
    if (!change.add) changes.remove.push(value);
    else changes.add.push(change.display === undefined ? { value } : { value, display: change.display });
  }
  return changes;
}

/** `[{"value": id, "display": text}]`, one such object, or bare ids. */
function namedMembers(value: unknown): NamedMember[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const id = isPlainObject(item) ? getProperty(item, 'value') : item;
    if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
      throw scimErrors.invalidValue('Each member needs a "value" with the member\'s id');
    }
    const text = isPlainObject(item)
      ? (getProperty(item, 'display') ?? getProperty(item, 'displayName'))
      : undefined;
    return typeof text === 'string' ? { value: String(id), display: text } : { value: String(id) };
  });
}

/** The one member `members[value eq "id"]` names; undefined for any other filter. */
function memberOfFilter(filter: NonNullable<PatchOperation['path']>['filter']): NamedMember | undefined {
  if (
    filter?.kind === 'compare' &&
    filter.op === 'eq' &&
    equalsIgnoreCase(filter.path.attribute, 'value') &&
    filter.path.subAttribute === undefined &&
    (typeof filter.value === 'string' || typeof filter.value === 'number')
  ) {
    return { value: String(filter.value) };
  }
  return undefined;
}
