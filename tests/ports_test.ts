/** The test suite's free ports for child processes (tests/fixtures/ports.ts). */
import assert from "node:assert/strict";
import { freePort } from "./fixtures/ports.ts";

Deno.test("freePort() gives ports below the ephemeral range, free to listen on", () => {
  const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim()
    .split(/\s+/).map(Number);
  const ports = Array.from({ length: 200 }, () => freePort());
  for (const port of ports) {
    // Outgoing connections take their local ports from the ephemeral range.
    assert.ok(port >= 10_000 && port < low, `${port} is not in [10000, ${low})`);
  }
  assert.ok(new Set(ports).size > 150, "drawn at random");
  using listener = Deno.listen({ hostname: "127.0.0.1", port: ports[0] });
  assert.equal((listener.addr as Deno.NetAddr).port, ports[0]);
});
