import { describe, expect, it } from 'vitest';
import { type ChainFields, canonicalJson, canonicalRow, chainHash, GENESIS_HASH } from '../src/services/chain.ts';

const envelope: ChainFields = {
  seq: 7,
  id: 'e_1',
  type: 'chat.room.created',
  version: 1,
  at: '2030-01-01T12:00:00.123+02:00',
  source: 'chat-notify',
  actor: 'u_1',
  subject: null,
  requestId: 'r_1',
  ip: '198.51.100.1',
  userAgent: 'Firefox/140',
  data: { roomId: 'r_1', ownerId: 'u_1', memberIds: ['u_2', 'u_3'], nested: { b: 1, a: [{ z: true, y: null }] } },
};

describe('the chain’s canonical form', () => {
  it('is the same for the envelope and the row read back (a Date, keys in jsonb’s order)', () => {
    const readBack: ChainFields = {
      ...envelope,
      at: new Date('2030-01-01T10:00:00.123Z'),
      data: { nested: { a: [{ y: null, z: true }], b: 1 }, memberIds: ['u_2', 'u_3'], ownerId: 'u_1', roomId: 'r_1' },
    };
    expect(canonicalRow(readBack)).toBe(canonicalRow(envelope));
    expect(chainHash(GENESIS_HASH, readBack)).toBe(chainHash(GENESIS_HASH, envelope));
  });

  it('changes with any hashed field, the order of an array, or the previous hash', () => {
    const hash = chainHash(GENESIS_HASH, envelope);
    expect(chainHash(GENESIS_HASH, { ...envelope, ip: '198.51.100.2' })).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, { ...envelope, seq: 8 })).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, { ...envelope, subject: '' })).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, { ...envelope, data: { ...(envelope.data as object), memberIds: ['u_3', 'u_2'] } })).not.toBe(
      hash,
    );
    expect(chainHash('f'.repeat(64), envelope)).not.toBe(hash);
  });

  it('hashes a `__proto__` key like any other', () => {
    const sneaky = JSON.parse('{"__proto__": {"admin": true}, "a": 1}');
    expect(canonicalJson(sneaky)).toBe('{"__proto__":{"admin":true},"a":1}');
  });
});
