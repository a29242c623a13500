/** SCIM PATCH (RFC 7644 §3.5.2): request validation and application on a copy of the resource. */
export { applyPatch, type PatchResult } from './apply-patch.js';
export { explicitMemberChanges, type MemberChanges, type NamedMember } from './member-changes.js';
export {
  DEFAULT_MAX_PATCH_OPERATIONS,
  PATCH_OP_SCHEMA,
  type ParsePatchOptions,
  type PatchOperation,
  type PatchOpName,
  parsePatchRequest,
} from './parse-patch-request.js';
export { type PatchPath, parsePatchPath } from './patch-path.js';
