import { canonicalJson, sameJson } from './canonicalJson';

describe('canonicalJson', () => {
  it('sorts keys at every level, leaves out undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 'x' }, undefined], a: null, e: undefined })).toBe(
      '{"a":null,"b":[{"c":"x","d":1},null]}',
    );
  });
});

describe('sameJson', () => {
  it('compares JSON values whatever the order of their keys', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
  });
});
