/**
 * "All matching this filter" on the tasks and DLQ views: count what a filter matches, ask with a
 * confirm that states the count, then run the bulk call, following `nextCursor` to the end.
 */
import { api, get } from "../api.js";
import { busy, button, h, notice, replace, showError } from "../dom.js";

/** Most items counted before a confirm says "more than". */
const COUNT_CAP = 10_000;

/**
 * How many items `GET path?query` lists, paging 1000 at a time up to `COUNT_CAP`.
 *
 * @returns {Promise<{count: number, more: boolean}>}
 */
export async function countMatching(path, query, key) {
  let count = 0;
  let cursor;
  do {
    const page = await get(path, { ...query, cursor, limit: 1000 });
    count += page[key].length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && count < COUNT_CAP);
  return { count, more: Boolean(cursor) };
}

/** A bulk run that stopped part way: `totals` were done, the message says why the rest was not. */
class BulkStopped extends Error {
  constructor(totals, reason) {
    super(reason);
    this.name = "BulkStopped";
    this.totals = totals;
  }
}

/**
 * Runs a bulk call to its end; returns the sum of `counts` keys over every call.
 *
 * @throws {BulkStopped} when a call answers that it stopped part way (`stopped`), or fails after
 *   earlier calls did something: what was done stays done
 */
export async function runBulk(method, path, query, counts) {
  const totals = Object.fromEntries(counts.map((k) => [k, 0]));
  let cursor;
  do {
    let answer;
    try {
      // A POST from the page carries a JSON body (the manager refuses a bodiless one from a browser).
      answer = await api(method, path, {
        query: { ...query, cursor, confirm: true },
        body: method === "POST" ? {} : undefined,
      });
    } catch (error) {
      if (totals[counts[0]] === 0) throw error;
      throw new BulkStopped(totals, error.message);
    }
    for (const k of counts) totals[k] += answer[k] ?? 0;
    if (answer.stopped) throw new BulkStopped(totals, answer.stopped.detail);
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
  return totals;
}

/** `1 task`, `1,234 tasks`. */
export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/**
 * One "all matching" action as a button: counts with `count()`, confirms `question(n)` (n is the
 * count as text), runs `run()`, and shows `done(result)` in `box`; a run that stopped part way
 * shows `done` of what it did, why it stopped, and that the rest was not touched.
 */
export function bulkButton(label, { box, count, question, run, done, kind, after }) {
  return button(label, (event) =>
    busy(event.currentTarget, async () => {
      try {
        const { count: n, more } = await count();
        if (n === 0) {
          replace(box, notice("info", "Nothing matches this filter"));
          return;
        }
        const text = more ? `more than ${n.toLocaleString("en")}` : n.toLocaleString("en");
        if (!confirm(question(text, n))) return;
        try {
          replace(box, notice("ok", done(await run())));
        } catch (error) {
          if (!(error instanceof BulkStopped)) throw error;
          replace(
            box,
            notice(
              "error",
              "Stopped part way",
              h("p", {}, `${done(error.totals)}, then: ${error.message}`),
              h("p", {}, "The rest was not touched: run it again to go on."),
            ),
          );
        }
        await after?.();
      } catch (error) {
        showError(box, error);
      }
    }), { kind });
}

/** The bar of bulk actions, labelled for screen readers. */
export function bulkBar(label, ...buttons) {
  return h(
    "div",
    { class: "bulk", role: "group", "aria-label": label },
    h("strong", {}, label),
    buttons,
  );
}
