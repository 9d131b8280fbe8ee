import { LineSplitter, SplitLine } from './LineSplitter';
import { leadingId, parseIncoming } from './protocol';

function split(max: number, chunks: string[]): SplitLine[] {
  const lines: SplitLine[] = [];
  const splitter = new LineSplitter(max, line => lines.push(line));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines across chunks and skips blank ones', () => {
    expect(split(100, ['{"a"', ':1}\n\n{"b":2}\n{"c"', ':3}'])).toEqual([
      { kind: 'line', text: '{"a":1}' },
      { kind: 'line', text: '{"b":2}' },
      { kind: 'line', text: '{"c":3}' },
    ]);
  });

  it('reports an overlong line once, with its start, and stays in step after it', () => {
    const long = `{"id":12,"result":"${'x'.repeat(50)}"}`;
    const lines = split(20, ['{"id":1}\n', long.slice(0, 30), long.slice(30), '\n{"id":2}\n']);
    expect(lines).toEqual([
      { kind: 'line', text: '{"id":1}' },
      { kind: 'overflow', prefix: long.slice(0, 30), bytes: long.length },
      { kind: 'line', text: '{"id":2}' },
    ]);
    expect(leadingId((lines[1] as { prefix: string }).prefix)).toBe(12);
  });

  it('keeps multi-byte characters split between chunks whole', () => {
    const bytes = Buffer.from('{"t":"é"}\n');
    const lines: SplitLine[] = [];
    const splitter = new LineSplitter(100, line => lines.push(line));
    splitter.push(bytes.subarray(0, 7));
    splitter.push(bytes.subarray(7));
    expect(lines).toEqual([{ kind: 'line', text: '{"t":"é"}' }]);
  });
});

describe('parseIncoming', () => {
  it('tells requests, notifications and answers apart', () => {
    expect(parseIncoming('{"id":"c1","method":"fetch","params":{"url":"u"}}')).toEqual({
      kind: 'request',
      message: { id: 'c1', method: 'fetch', params: { url: 'u' } },
    });
    expect(parseIncoming('{"method":"log"}').kind).toBe('notification');
    expect(parseIncoming('{"id":3,"result":null}')).toEqual({
      kind: 'response',
      message: { id: 3, result: null },
    });
    expect(parseIncoming('{"id":3,"error":{"message":"no","code":"not-found"}}')).toEqual({
      kind: 'response',
      message: { id: 3, error: { message: 'no', code: 'not-found' } },
    });
  });

  it('names what is wrong with a line that is no message', () => {
    expect(() => parseIncoming('hello')).toThrow('not JSON');
    expect(() => parseIncoming('[1]')).toThrow('not a JSON object');
    expect(() => parseIncoming('{"result":1}')).toThrow('no valid id');
    expect(() => parseIncoming('{"id":1,"result":1,"error":{}}')).toThrow('exactly one');
    expect(() => parseIncoming('{"id":1.5,"result":1}')).toThrow('no valid id');
    expect(() => parseIncoming('{"id":{},"method":"x"}')).toThrow('invalid id');
  });
});
