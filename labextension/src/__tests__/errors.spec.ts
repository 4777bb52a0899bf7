import {
  JupyterExpRequestError,
  describeError,
  errorMessageFrom
} from '../errors';

describe('errorMessageFrom', () => {
  it('prefers the JSON message of jupyter_server error answers', () => {
    expect(
      errorMessageFrom({ message: 'Store unreachable', reason: 'x' }, 503)
    ).toBe('Store unreachable');
    expect(errorMessageFrom({ reason: 'Forbidden' }, 403)).toBe('Forbidden');
  });

  it('falls back to short text bodies, then the status line', () => {
    expect(errorMessageFrom('database is locked', 500)).toBe(
      'database is locked'
    );
    expect(
      errorMessageFrom('<html>Oops</html>', 500, 'Internal Server Error')
    ).toBe('Request failed: 500 Internal Server Error');
    expect(errorMessageFrom({ message: '' }, 404, 'Not Found')).toBe(
      'Request failed: 404 Not Found'
    );
  });
});

describe('JupyterExpRequestError', () => {
  it('is an Error carrying the status and endpoint', () => {
    const error = new JupyterExpRequestError('boom', 500, 'store', {
      message: 'boom'
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('JupyterExpRequestError');
    expect(error.status).toBe(500);
    expect(error.endPoint).toBe('store');
    expect(describeError(error)).toBe('boom');
    expect(describeError('plain')).toBe('plain');
  });
});
