import assert from "node:assert/strict";
import fc from "fast-check";
import type { Page } from "../store/store.ts";
import { collectPage } from "./paging.ts";

interface Item {
  id: string;
  size: number;
}

/** A listing over `items` (newest first), cursors as the stores make them, counting items read. */
function listing(items: Item[]) {
  const counter = { read: 0 };
  const fetch = (page: { cursor?: string; limit: number }): Promise<Page<Item>> => {
    const from = page.cursor === undefined ? 0 : items.findIndex((i) => i.id === page.cursor) + 1;
    const rows = items.slice(from, from + page.limit + 1);
    const kept = rows.slice(0, page.limit);
    counter.read += kept.length;
    return Promise.resolve({
      items: kept,
      nextCursor: rows.length > page.limit ? kept[kept.length - 1].id : null,
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

Deno.test("a page of items of one size reads at most one item past it", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 1000 }),
      async (count, size, limit) => {
        const { fetch, counter } = listing(itemsOf(Array(count).fill(size)));
        const page = await collectPage(fetch, { limit, maxBytes: 10_000, sizeOf: (i) => i.size });
        assert.ok(
          counter.read <= page.items.length + 1,
          `${counter.read} read for ${page.items.length}`,
        );
      },
    ),
    { numRuns: 500 },
  );
});
