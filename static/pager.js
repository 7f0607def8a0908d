/**
 * Cursor pagination for list views: "Previous" and "Next" buttons, with the cursors of the pages
 * already seen kept per list and filter set (the current cursor itself lives in the URL).
 */
import { button, h } from "./dom.js";
import { navigate } from "./router.js";

/** Cursors of the pages before the current one, per list path and filters. */
const stacks = new Map();

/**
 * The paging state of one list view at `cursor`; `pager(nextCursor)` builds its buttons.
 * A page reached without its history (a reload, a shared link) can still go back to the start.
 */
export function cursorPages(path, filters, cursor) {
  const key = `${path}?${JSON.stringify(filters)}`;
  const stack = stacks.get(key) ?? [];
  stacks.set(key, stack);
  if (cursor && stack.length === 0) stack.push("");
  if (!cursor) stack.length = 0;
  return {
    pager(nextCursor) {
      const pager = h("div", { class: "pager" });
      if (cursor) {
        pager.append(
          button(
            "← Previous",
            () => navigate(path, { ...filters, cursor: stack.pop() || undefined }),
          ),
        );
      }
      if (nextCursor) {
        pager.append(button("Next →", () => {
          stack.push(cursor);
          navigate(path, { ...filters, cursor: nextCursor });
        }));
      }
      return pager;
    },
  };
}
