import { describe, expect, it } from 'vitest';
import { DialectNames, parseCompatDialects } from '../src/compat/config.ts';
import { loadGatewayConfig } from '../src/config.ts';

const mounts = (value: string | undefined) =>
  Object.fromEntries(parseCompatDialects(value).map(({ name, prefix }) => [name, prefix]));

describe('COMPAT_DIALECTS', () => {
  it('mounts all five under /compat/<name> when unset or empty', () => {
    const expected = Object.fromEntries(DialectNames.map((n) => [n, `/compat/${n}`]));
    expect(mounts(undefined)).toEqual(expected);
    expect(mounts('')).toEqual(expected);
  });

  it('moves one (xphoto=/ serves its paths at the root) and leaves the others where they were', () => {
    expect(mounts('xphoto=/')).toMatchObject({ xphoto: '/', captcha: '/compat/captcha', sessions: '/compat/sessions' });
    expect(mounts(' groupchat = /legacy/chat/ ')).toMatchObject({ groupchat: '/legacy/chat' });
  });

  it('turns one off, or all but the ones named after `none`', () => {
    expect(mounts('captcha=off')).not.toHaveProperty('captcha');
    expect(Object.keys(mounts('captcha=off'))).toHaveLength(4);
    expect(mounts('none,xphoto=/')).toEqual({ xphoto: '/' });
    expect(mounts('none,sessions')).toEqual({ sessions: '/compat/sessions' });
    expect(mounts('none')).toEqual({});
  });

  it('refuses what would not work, naming the entry: unknown names, bad prefixes, two at one place, the canonical API', () => {
    expect(() => parseCompatDialects('xfoto=/')).toThrow(/unknown dialect "xfoto"/);
    expect(() => parseCompatDialects('xphoto=relative')).toThrow(/xphoto=relative/);
    expect(() => parseCompatDialects('xphoto=/a//b')).toThrow(/name=\/prefix/);
    expect(() => parseCompatDialects('xphoto=/,captcha=/')).toThrow(/captcha and xphoto are both mounted at \//);
    expect(() => parseCompatDialects('sessions=/api')).toThrow(/canonical API/);
    expect(() => parseCompatDialects('sessions=/')).toThrow(/sessions cannot be at \//);
  });

  it('stops the gateway’s start with a bad value', () => {
    expect(() => loadGatewayConfig({ COMPAT_DIALECTS: 'nope' })).toThrow(/COMPAT_DIALECTS/);
    expect(loadGatewayConfig({ COMPAT_DIALECTS: 'xphoto=/' }).COMPAT_DIALECTS).toBe('xphoto=/');
  });
});
