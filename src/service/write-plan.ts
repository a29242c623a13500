import type { CompiledResourceMapping } from '../mapping/mapping-types.js';
import { isPlainObject } from '../scim/attributes.js';
import type { ScimResource } from '../scim/schema-types.js';

/**
 * How a change from one SCIM state to the next reaches the app: the whole-record update, and/or
 * the dedicated calls the mapping declares (activate/deactivate, add/remove member).
 */
export interface WritePlan {
  /** The SCIM state handed to the update call; omitted attributes keep their current value. */
  updateInput: ScimResource;
  activeChange: boolean | undefined;
  membersToAdd: string[];
  membersToRemove: string[];
}

export function planWrite(
  mapping: CompiledResourceMapping,
  current: ScimResource,
  next: ScimResource,
): WritePlan {
  const omits = mapping.operations.update?.omits ?? new Set();
  const dedicatedActive =
    Boolean(mapping.operations.activate) && (omits.has('active') || !mapping.operations.update);
  const dedicatedMembers =
    Boolean(mapping.operations.addMember) && (omits.has('members') || !mapping.operations.update);
  const updateInput: ScimResource = { ...next };

  let activeChange: boolean | undefined;
  const nextActive = typeof next.active === 'boolean' ? next.active : undefined;
  const currentActive = current.active !== false;
  if (dedicatedActive) {
    if (nextActive !== undefined && nextActive !== currentActive) activeChange = nextActive;
    if (current.active === undefined) delete updateInput.active;
    else updateInput.active = current.active;
  }

  let membersToAdd: string[] = [];
  let membersToRemove: string[] = [];
  if (dedicatedMembers && mapping.resourceType === 'Group') {
    const before = memberIds(current.members);
    // No members in the next state means none (PATCH removed them, PUT left them out).
    const after = memberIds(next.members);
    membersToAdd = [...after].filter((id) => !before.has(id));
    membersToRemove = [...before].filter((id) => !after.has(id));
    if (current.members === undefined) delete updateInput.members;
    else updateInput.members = current.members;
  }
  return { updateInput, activeChange, membersToAdd, membersToRemove };
}

function memberIds(members: unknown): Set<string> {
  const ids = new Set<string>();
  if (!Array.isArray(members)) return ids;
  for (const member of members) {
    if (isPlainObject(member) && (typeof member.value === 'string' || typeof member.value === 'number')) {
      ids.add(String(member.value));
    }
  }
  return ids;
}
