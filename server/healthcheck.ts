/**
 * `tasks-executor healthcheck`: asks the local manager's /readyz and exits 0 when it is ready,
 * 1 otherwise (for container health checks, where no curl is installed).
 */

/** Exit code for the readiness of the manager on `port`. */
export async function healthcheck(port: number): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok ? 0 : 1;
  } catch {
    return 1;
  }
}
