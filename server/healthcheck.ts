/**
 * `tasks-executor healthcheck`: asks the local manager's /readyz and exits 0 when it is ready,
 * 1 otherwise (for container health checks, where no curl is installed).
 */
import { get } from "node:https";

/**
 * Exit code for the readiness of the manager on `port`; `tls` = it serves HTTPS. Its certificate
 * is not checked: the check talks to its own machine over loopback, sends no secret and reads
 * only a status, and the certificate names the public host, not 127.0.0.1.
 */
export async function healthcheck(port: number, options: { tls: boolean }): Promise<number> {
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/readyz`;
  try {
    const status = options.tls ? await httpsStatus(url) : await httpStatus(url);
    return status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.status;
}

function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(
      url,
      { rejectUnauthorized: false, timeout: 2000, agent: false },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("timeout", () => request.destroy(new Error("Timed out")));
    request.on("error", reject);
  });
}
