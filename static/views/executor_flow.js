/**
 * The flow-control part of the executor form: rate limits (executor-wide and per group key),
 * keyed concurrency and the group key pointer. An empty limit removes it (`{"limit": 0}`).
 */
import { field, h } from "../dom.js";

function num(name, value, attrs = {}) {
  return h("input", { type: "number", name, value: value ?? "", inputmode: "decimal", ...attrs });
}

/** Inputs of one rate limit (`rateLimit` or `rateLimitPerKey`). */
function rateInputs(key, rate) {
  return {
    limit: num(`${key}Limit`, rate?.limit, { min: 0, step: 1 }),
    period: num(`${key}Period`, rate?.period ?? 1000, { min: 1, step: 1 }),
    burst: num(`${key}Burst`, rate?.burst, { min: 1, step: 1 }),
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
 * The fieldset for `current` (an executor or the defaults); `read()` gives the configuration
 * fields it sets.
 */
export function flowFieldset(current, writable) {
  const rate = rateInputs("rateLimit", current.rateLimit);
  const perKey = rateInputs("rateLimitPerKey", current.rateLimitPerKey);
  const maxPerKey = num("maxConcurrencyPerKey", current.maxConcurrencyPerKey ?? 0, {
    min: 0,
    step: 1,
  });
  const pointer = h("input", {
    name: "groupKeyPointer",
    value: current.groupKeyPointer ?? "",
    placeholder: "/customerId",
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
