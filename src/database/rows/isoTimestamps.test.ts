import { ISO_TIMESTAMPS, isoFromTimestamptz } from './isoTimestamps';
import { toIso } from './coerce';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgTypes = require('pg').types;

const pgParse = (text: string): unknown => pgTypes.getTypeParser(1184, 'text')(text);

describe('isoFromTimestamptz', () => {
  it("prints PostgreSQL's text of a timestamptz as toISOString prints pg's Date of it", () => {
    const texts = [
      '2026-11-30 03:36:21.301+00',
      '2026-11-30 03:36:21+00',
      '2026-11-30 03:36:21.3+00',
      '2026-11-30 03:36:21.30145+00',
      '2026-11-30 03:36:21.999999+00',
      '0099-01-01 00:00:00+00',
      // Sessions in other time zones.
      '2026-11-30 04:36:21.301+01',
      '2026-11-29 23:06:21.301-04:30',
      '1890-01-01 00:00:00+00:09:21',
    ];
    for (const text of texts) {
      const date = pgParse(text) as Date;
      expect(isoFromTimestamptz(text)).toBe(date.toISOString());
      // And the mappers keep it as it is.
      expect(toIso(isoFromTimestamptz(text))).toBe(date.toISOString());
    }
    expect(isoFromTimestamptz('2026-11-30 03:36:21.301+00')).toBe('2026-11-30T03:36:21.301Z');
  });

  it('leaves what pg does not parse into a Date as PostgreSQL wrote it', () => {
    expect(isoFromTimestamptz('infinity')).toBe('infinity');
  });

  it("hands every other type to pg's own parsers", () => {
    expect(ISO_TIMESTAMPS.getTypeParser(1184, 'text')).toBe(isoFromTimestamptz);
    for (const oid of [16, 20, 23, 25, 114, 1114]) {
      expect(ISO_TIMESTAMPS.getTypeParser(oid, 'text')).toBe(pgTypes.getTypeParser(oid, 'text'));
    }
    expect(ISO_TIMESTAMPS.getTypeParser(1184, 'binary')).toBe(pgTypes.getTypeParser(1184, 'binary'));
  });
});
