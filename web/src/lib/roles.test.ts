import { describe, expect, it } from 'vitest';
import { canManage, canWrite, isOwner } from './roles';

describe('roles', () => {
  it.each([
    ['viewer', false, false, false],
    ['editor', true, false, false],
    ['manager', true, true, false],
    ['owner', true, true, true],
    [undefined, false, false, false],
    ['someone', false, false, false],
  ])('%s: write %s, manage %s, owner %s', (role, write, manage, owner) => {
    expect(canWrite(role)).toBe(write);
    expect(canManage(role)).toBe(manage);
    expect(isOwner(role)).toBe(owner);
  });
});
