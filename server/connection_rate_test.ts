/** Unit tests of the rate limit on new connections per client address. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { clientAddressKey, ConnectionRateLimit } from "./connection_rate.ts";

const what = "test connections";

Deno.test("clientAddressKey: IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64", () => {
  assert.equal(clientAddressKey("192.0.2.7"), "192.0.2.7");
  assert.equal(clientAddressKey("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(clientAddressKey("::1"), "0:0:0:0::/64");
  assert.equal(clientAddressKey("2001:DB8::1"), "2001:db8:0:0::/64");
  assert.equal(clientAddressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(clientAddressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(clientAddressKey("2001:db8:1::"), "2001:db8:1:0::/64");
});

Deno.test("clientAddressKey: any IPv6 address, however the runtime compresses it, keys its first 64 bits", () => {
  const group = fc.integer({ min: 0, max: 0xffff });
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      // The URL parser writes an address as runtimes do: zeros compressed, lower case.
      const written = new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`)
        .hostname.slice(1, -1);
      // Not an IPv4-mapped address (::ffff:a.b.c.d), which is keyed as IPv4.
      fc.pre(!/^::ffff:\d/.test(written));
      const network = groups.slice(0, 4).map((g) => g.toString(16)).join(":");
      assert.equal(clientAddressKey(written), `${network}::/64`, written);
    }),
    { numRuns: 500 },
  );
});

Deno.test("ConnectionRateLimit: a burst at once, then the rate; each address on its own, one /64 together", () => {
  const rate = new ConnectionRateLimit({ perSecond: 2, burst: 3, what });
  for (let i = 0; i < 3; i++) assert.equal(rate.admit("192.0.2.7", 0), true);
  assert.equal(rate.admit("192.0.2.7", 0), false);
  assert.equal(rate.admit("::ffff:192.0.2.7", 0), false, "the same address, written as IPv6");
  assert.equal(rate.admit("192.0.2.8", 0), true, "another address has its own burst");
  assert.equal(rate.admit("192.0.2.7", 499), false);
  assert.equal(rate.admit("192.0.2.7", 500), true, "two a second: one more after 500 ms");
  assert.equal(rate.admit("192.0.2.7", 500), false);
  for (let i = 0; i < 3; i++) assert.equal(rate.admit(`2001:db8::${i + 1}`, 0), true);
  assert.equal(rate.admit("2001:db8::ffff:1", 0), false, "the same /64");
  assert.equal(rate.admit("2001:db8:0:1::1", 0), true, "the next /64");
  assert.equal(rate.refused, 5);
});

Deno.test("ConnectionRateLimit: any sequence of connections from one address gets no more than the burst plus the rate", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 100 }),
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 400 }),
      (perSecond, burst, gaps) => {
        const rate = new ConnectionRateLimit({ perSecond, burst, what });
        let now = 0;
        let admitted = 0;
        for (const gap of gaps) {
          now += gap;
          if (rate.admit("192.0.2.7", now)) admitted++;
        }
        assert.ok(admitted <= burst + Math.floor(now * perSecond / 1000));
        assert.equal(rate.refused, gaps.length - admitted);
      },
    ),
  );
});

Deno.test("ConnectionRateLimit remembers 10,000 addresses: past them the one seen the longest ago starts again with a whole burst", () => {
  const withOthers = (count: number) => {
    const rate = new ConnectionRateLimit({ perSecond: 1, burst: 1, what });
    assert.equal(rate.admit("192.0.2.7", 0), true);
    for (let i = 0; i < count; i++) rate.admit(`10.0.${i >> 8}.${i & 255}`, 0);
    return rate.admit("192.0.2.7", 0);
  };
  assert.equal(withOthers(9_999), false, "still remembered among 10,000");
  assert.equal(withOthers(10_000), true, "forgotten for the 10,001st address");
});

Deno.test("ConnectionRateLimit forgets addresses whose bucket is full again before one still in debt", () => {
  const rate = new ConnectionRateLimit({ perSecond: 1, burst: 1, what });
  for (let i = 0; i < 9_999; i++) rate.admit(`10.0.${i >> 8}.${i & 255}`, 0);
  assert.equal(rate.admit("192.0.2.7", 1_500), true);
  // 10.1.0.0 is the 10,001st: the 9,999 first are full again by 2,000 ms and are dropped.
  assert.equal(rate.admit("10.1.0.0", 2_000), true);
  assert.equal(rate.admit("192.0.2.7", 2_000), false, "still remembered, still in debt");
});

Deno.test("ConnectionRateLimit keeps the address that keeps connecting, refused or not, when it must forget some: those full again go first", () => {
  const rate = new ConnectionRateLimit({ perSecond: 1, burst: 10, what });
  // An abuser spends its burst, then 9,999 others connect once each.
  for (let i = 0; i < 10; i++) assert.equal(rate.admit("192.0.2.66", 0), true);
  for (let i = 0; i < 9_999; i++) rate.admit(`10.0.${i >> 8}.${i & 255}`, 0);
  // Refused: seen again, it is now the one seen last.
  assert.equal(rate.admit("192.0.2.66", 100), false);
  // The 10,001st address at 5 s: the others are full again and are forgotten, not the abuser.
  assert.equal(rate.admit("10.1.0.0", 5_000), true);
  let admitted = 0;
  for (let i = 0; i < 20; i++) if (rate.admit("192.0.2.66", 5_000)) admitted++;
  assert.equal(admitted, 5, "its debt remembered: 5 s of refill, not a whole new burst of 10");
});
