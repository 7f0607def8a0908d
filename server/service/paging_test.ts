import assert from "node:assert/strict";
import fc from "fast-check";
import type { StorePage } from "../store/store.ts";
import { collectPage } from "./paging.ts";

interface Item {
  id: string;
  size: number;
}

/**
 * A listing over `items` (newest first) that pages as the stores do: cursors after the last item,
 * and with `maxBytes`, no item past one whose size as the store sees it (`size × factor`) would
 * cross it (one at least). Counts the items and bytes it hands out.
 */
function listing(items: Item[], factor = 1) {
  const counter = { read: 0, bytes: 0, calls: 0 };
  const fetch = (
    page: { cursor?: string; limit: number; maxBytes?: number },
  ): Promise<StorePage<Item>> => {
    counter.calls++;
    let at = page.cursor === undefined ? 0 : items.findIndex((i) => i.id === page.cursor) + 1;
    const kept: Item[] = [];
    let bytes = 0;
    for (; at < items.length && kept.length < page.limit; at++) {
      const size = items[at].size * factor;
      if (page.maxBytes !== undefined && kept.length > 0 && bytes + size > page.maxBytes) break;
      kept.push(items[at]);
      bytes += size;
    }
    counter.read += kept.length;
    counter.bytes += kept.reduce((sum, item) => sum + item.size, 0);
    return Promise.resolve({
      items: kept,
      nextCursor: at < items.length ? kept[kept.length - 1].id : null,
      cursors: kept.map((item) => item.id),
    });
  };
  return { fetch, counter };
}

const itemsOf = (sizes: number[]) =>
  sizes.map((size, i) => ({ id: String(sizes.length - i).padStart(6, "0"), size }));

Deno.test("pages cut by count and size go through every item once, in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 1500 }),
      async (sizes, limit, maxBytes) => {
        const items = itemsOf(sizes);
        const { fetch } = listing(items);
        const seen: Item[] = [];
        let cursor: string | undefined;
        do {
          const page = await collectPage(fetch, { cursor, limit, maxBytes, sizeOf: (i) => i.size });
          assert.ok(page.items.length >= Math.min(1, items.length - seen.length));
          assert.ok(page.items.length <= limit);
          const bytes = page.items.reduce((sum, item) => sum + item.size, 0);
          assert.ok(page.items.length === 1 || bytes <= maxBytes, `${bytes} > ${maxBytes}`);
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        assert.deepEqual(seen, items);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a page reads no item past it when the store sizes items as the page does", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 200 }),
      fc.integer({ min: 1, max: 1000 }),
      async (sizes, limit) => {
        const { fetch, counter } = listing(itemsOf(sizes));
        const page = await collectPage(fetch, { limit, maxBytes: 10_000, sizeOf: (i) => i.size });
        assert.equal(counter.read, page.items.length);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a page reads at most about three times its bytes when the store misjudges sizes", async () => {
  // A small newest item then large ones: the page must not read the large ones by count.
  const small = fc.integer({ min: 1, max: 10 });
  const large = fc.integer({ min: 2000, max: 9000 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(small, large), { minLength: 1, maxLength: 200 }),
      fc.constantFrom(0.5, 1, 2),
      async (sizes, factor) => {
        const maxBytes = 10_000;
        const { fetch, counter } = listing(itemsOf(sizes), factor);
        await collectPage(fetch, { limit: 1000, maxBytes, sizeOf: (i) => i.size });
        assert.ok(counter.bytes <= 3 * maxBytes + Math.max(...sizes), `${counter.bytes} read`);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a page the store judged short is cut where the answer's size says, and goes on from the cut item's cursor without a second read", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 1500 }),
      async (sizes, maxBytes) => {
        // The store sees every item as a tenth of its size: pages are cut by the answer's bytes.
        const items = itemsOf(sizes);
        const { fetch, counter } = listing(items, 0.1);
        const seen: Item[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await collectPage(fetch, {
            cursor,
            limit: 1000,
            maxBytes,
            sizeOf: (i) => i.size,
          });
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor !== undefined);
        assert.deepEqual(seen, items);
        assert.equal(counter.calls, pages, "one read per page");
      },
    ),
    { numRuns: 300 },
  );
});
