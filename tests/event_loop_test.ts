/** The event loop delay probe: a timer due at a fixed interval, its lateness a histogram. */
import assert from "node:assert/strict";
import { EventLoopDelayProbe } from "../server/monitoring/event_loop.ts";
import { MetricsWriter } from "../server/monitoring/prometheus.ts";

/** Holds the thread for `ms`, as a long synchronous piece of work would. */
function holdThread(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/** Waits until the probe has counted `count` turns. */
async function turns(probe: EventLoopDelayProbe, count: number): Promise<void> {
  while (probe.histogram.get().count < count) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("the event loop probe sees a thread held 150 ms as a turn at least 100 ms late", async () => {
  const probe = new EventLoopDelayProbe(20);
  probe.start();
  try {
    await turns(probe, 1);
    holdThread(150);
    await turns(probe, 2);
    const { count, buckets, sum } = probe.histogram.get();
    const bounds = probe.histogram.bounds;
    // The turn due 20 ms after the one before came when the thread was let go, 130 ms or more late.
    const upTo100ms = buckets.filter((_, i) => bounds[i] <= 0.1).reduce((a, b) => a + b, 0);
    assert.ok(count - upTo100ms >= 1, `a turn late by over 0.1 s: ${JSON.stringify(buckets)}`);
    assert.ok(sum >= 0.1, `sum ${sum}`);
  } finally {
    probe.stop();
  }
  assert.equal(probe.running, false);
});

Deno.test("the event loop probe writes a histogram of seconds, ms-scale buckets to +Inf", () => {
  const probe = new EventLoopDelayProbe();
  probe.histogram.observe(0.003);
  probe.histogram.observe(0.2);
  const out = new MetricsWriter();
  probe.write(out);
  const lines = out.text().split("\n");
  assert.ok(lines.includes("# TYPE tasks_executor_event_loop_delay_seconds histogram"));
  assert.ok(lines.includes('tasks_executor_event_loop_delay_seconds_bucket{le="0.005"} 1'));
  assert.ok(lines.includes('tasks_executor_event_loop_delay_seconds_bucket{le="0.1"} 1'));
  assert.ok(lines.includes('tasks_executor_event_loop_delay_seconds_bucket{le="0.25"} 2'));
  assert.ok(lines.includes('tasks_executor_event_loop_delay_seconds_bucket{le="2.5"} 2'));
  assert.ok(lines.includes('tasks_executor_event_loop_delay_seconds_bucket{le="+Inf"} 2'));
  assert.ok(lines.includes("tasks_executor_event_loop_delay_seconds_count 2"));
  assert.equal(probe.running, false, "a probe not started has no timer");
});
