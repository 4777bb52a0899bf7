import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { JupyterExpRequestError, errorMessageFrom } from './errors';
import { API_NAMESPACE } from './tokens';

export { JupyterExpRequestError } from './errors';

/**
 * Call the jupyter-exp server extension: `<baseUrl>/jupyter-exp/<endPoint>`.
 *
 * `ServerConnection.makeRequest` adds the auth token and the XSRF header, so POSTs pass the
 * server's XSRF check. Non-2xx answers throw a `JupyterExpRequestError` carrying the server's
 * JSON `message`; an unreachable server throws one with status 0.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const requestUrl = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new JupyterExpRequestError(
      `Could not reach the Jupyter server: ${reason}`,
      0,
      endPoint
    );
  }

  const text = await response.text();
  let data: unknown = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: keep the raw text.
    }
  }

  if (!response.ok) {
    throw new JupyterExpRequestError(
      errorMessageFrom(data, response.status, response.statusText),
      response.status,
      endPoint,
      data
    );
  }
  return data as T;
}
