import { assertAdminAuthority } from './admin-authority';

const OWNER = 255;
const ADMIN = 254;
const USER = 0;
const member = (orgId: string, role: number | null, managed = false) => ({ orgId, role, managed });

describe('admin authority over another user (trust model)', () => {
  const check =
    (callerRole: number | null, targetMemberships: ReturnType<typeof member>[], callerOrgId: string | null = 'org-a') =>
    () =>
      assertAdminAuthority({ callerOrgId, callerRole, targetMemberships });

  it('given an OWNER and a USER of the same org only, then allowed, returning every org of the target', () => {
    expect(check(OWNER, [member('org-a', USER)])()).toEqual(['org-a']);
    expect(check(ADMIN, [member('org-a', null)])()).toEqual(['org-a']);
  });

  it('given a role below ADMINISTRATOR, then 403 FORBIDDEN before anything about the target is told', () => {
    expect(check(USER, [])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(check(null, [member('org-a', USER)])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('given a target not in the caller org (or no caller org), then 404 USER_NOT_FOUND, as for an unknown user', () => {
    expect(check(OWNER, [member('org-b', USER)])).toThrow(expect.objectContaining({ code: 'USER_NOT_FOUND', kind: 'not_found' }));
    expect(check(OWNER, [])).toThrow(expect.objectContaining({ code: 'USER_NOT_FOUND' }));
    expect(check(OWNER, [member('org-a', USER)], null)).toThrow(expect.objectContaining({ code: 'USER_NOT_FOUND' }));
  });

  it('given an equal or higher target role, then 403 FORBIDDEN (an ADMINISTRATOR cannot touch an OWNER or a peer)', () => {
    expect(check(ADMIN, [member('org-a', OWNER)])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(check(ADMIN, [member('org-a', ADMIN)])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(check(OWNER, [member('org-a', OWNER)])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('given a target in another org too, then 403 USER_MANAGED_ELSEWHERE unless the caller org manages the account', () => {
    expect(check(OWNER, [member('org-a', USER), member('org-b', USER)])).toThrow(expect.objectContaining({ code: 'USER_MANAGED_ELSEWHERE' }));
    expect(check(OWNER, [member('org-a', USER), member('org-b', USER, true)])).toThrow(expect.objectContaining({ code: 'USER_MANAGED_ELSEWHERE' }));
    expect(check(OWNER, [member('org-a', USER, true), member('org-b', USER)])()).toEqual(['org-a', 'org-b']);
  });
});
