import { InputError } from '@backstage/errors';
import { asError, errorMessage } from './errorMessage';

describe('errorMessage', () => {
  it('is the message of an error and the text of anything else thrown', () => {
    expect(errorMessage(new InputError('bad filter'))).toBe('bad filter');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ code: 'E' })).toBe('[object Object]');
  });
});

describe('asError', () => {
  it('keeps an error as it is and wraps anything else', () => {
    const error = new InputError('bad filter');
    expect(asError(error)).toBe(error);
    const wrapped = asError('plain text');
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe('plain text');
  });
});
