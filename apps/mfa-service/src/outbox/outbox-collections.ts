import { ORG_POLICY_COLLECTION } from '../org-policy/infra/org-policy.document';
import { USER_MFA_COLLECTION } from '../user-mfa/infra/user-mfa.document';

/** Every collection whose documents carry an outbox the relay must drain. */
export const OUTBOX_COLLECTIONS = [ORG_POLICY_COLLECTION, USER_MFA_COLLECTION];
