/**
 * The flow-control part of the executor form: rate limits (executor-wide and per group key),
 * keyed concurrency and the group key pointer. An empty limit removes it (`{"limit": 0}`).
 */
import { field, h } from "../dom.js";

/**
 * A number input bounded as the manager bounds its setting: `bound` is one of the server facts'
 * `executorBounds` (`{min, max, integer}`).
 */
export function boundedNumber(name, value, bound) {
  return h("input", {
    type: "number",
    name,
    value: value ?? "",
    inputmode: bound.integer ? "numeric" : "decimal",
    min: bound.min,
    max: bound.max,
    step: bound.integer ? 1 : "any",
  });
}

/**
 * Inputs of one rate limit (`rateLimit` or `rateLimitPerKey`), bounded by the manager's `bounds`
 * of its fields; an empty limit is none.
 */
function rateInputs(key, rate, bounds) {
  return {
    limit: boundedNumber(`${key}Limit`, rate?.limit, bounds.limit),
    period: boundedNumber(`${key}Period`, rate?.period ?? 1000, bounds.period),
    burst: boundedNumber(`${key}Burst`, rate?.burst, bounds.burst),
  };
}

function readRate(inputs) {
  const limit = inputs.limit.value === "" ? 0 : Number(inputs.limit.value);
  if (limit === 0) return { limit: 0 };
  const rate = { limit, period: Number(inputs.period.value || 1000) };
  if (inputs.burst.value !== "") rate.burst = Number(inputs.burst.value);
  return rate;
}

/**
 * The fieldset for `current` (an executor or the defaults), its inputs bounded by `bounds` (the
 * server facts' `executorBounds`) and the group key pointer by `groupKeyChars` (theirs too);
 * `read()` gives the configuration fields it sets.
 */
export function flowFieldset(current, writable, bounds, groupKeyChars) {
  const rate = rateInputs("rateLimit", current.rateLimit, bounds.rateLimit);
  const perKey = rateInputs("rateLimitPerKey", current.rateLimitPerKey, bounds.rateLimitPerKey);
  const maxPerKey = boundedNumber(
    "maxConcurrencyPerKey",
    current.maxConcurrencyPerKey ?? 0,
    bounds.maxConcurrencyPerKey,
  );
  const pointer = h("input", {
    name: "groupKeyPointer",
    value: current.groupKeyPointer ?? "",
    placeholder: "/customerId",
    maxlength: groupKeyChars,
    autocomplete: "off",
    spellcheck: "false",
  });
  const rateFields = (label, inputs, key) => [
    field(`${label}: starts per period (empty = no limit)`, inputs.limit, {
      pointer: `/config/${key}/limit`,
    }),
    field(`${label}: period (ms)`, inputs.period, { pointer: `/config/${key}/period` }),
    field(`${label}: burst (default = limit)`, inputs.burst, { pointer: `/config/${key}/burst` }),
  ];
  const fieldset = h(
    "fieldset",
    { disabled: !writable },
    h("legend", {}, "Rate limits and keyed concurrency"),
    h("div", { class: "row" }, ...rateFields("Rate limit", rate, "rateLimit")),
    h(
      "div",
      { class: "row" },
      field("Group key (JSON pointer into the data)", pointer, {
        pointer: "/config/groupKeyPointer",
        hint: "Tasks of different keys are started round-robin",
      }),
      field("Max concurrency per key (0 = no limit)", maxPerKey, {
        pointer: "/config/maxConcurrencyPerKey",
      }),
      ...rateFields("Per-key rate limit", perKey, "rateLimitPerKey"),
    ),
  );
  return {
    fieldset,
    read: () => ({
      rateLimit: readRate(rate),
      rateLimitPerKey: readRate(perKey),
      maxConcurrencyPerKey: maxPerKey.value === "" ? 0 : Number(maxPerKey.value),
      groupKeyPointer: pointer.value.trim(),
    }),
  };
}
