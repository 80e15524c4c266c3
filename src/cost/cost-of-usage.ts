/**
 * What one completion cost, from its token counts and the target's prices. Pure and exact: prices
 * are taken as whole micro-units per million tokens and products computed in integers, so the
 * figures are rounded once, to 1e-9 of the currency, and the parts always add up to the total.
 *
 * Which price applies to which count (no token is charged twice):
 * - `inputTokens` counts all input, cache reads included; `cachedInputTokens` is the part read
 *   from a cache. input = (inputTokens − cachedInputTokens) × input price;
 *   cachedInput = cachedInputTokens × cached-input price (the input price when not set).
 * - `reasoningTokens` are part of `outputTokens`. output = (outputTokens − reasoningTokens) ×
 *   output price + reasoningTokens × reasoning price (the output price when not set).
 */
import type { Usage } from "../core/events";
import type { Pricing } from "./pricing";

export interface Cost {
  /** Input not read from a cache. */
  input: number;
  cachedInput: number;
  /** Output, reasoning included. */
  output: number;
  total: number;
  currency: string;
}

const NANO_PER_UNIT = 1_000_000_000n;

/** A price per million tokens in micro-units of the currency (six decimal places). */
function microPerMillion(price: number): bigint {
  return BigInt(Math.round(price * 1_000_000));
}

/**
 * tokens × price-per-million, in nano-units: tokens × micro-per-million / 1e6 tokens × 1e3
 * nano-per-micro = tokens × micro-per-million / 1000, rounded half up.
 */
function nanoCost(tokens: number, price: bigint): bigint {
  if (tokens <= 0) return 0n;
  return (BigInt(Math.trunc(tokens)) * price + 500n) / 1000n;
}

function toAmount(nano: bigint): number {
  const whole = nano / NANO_PER_UNIT;
  const fraction = nano % NANO_PER_UNIT;
  // Via the decimal string: the double nearest the exact figure, no binary drift from division.
  return Number(`${whole}.${fraction.toString().padStart(9, "0")}`);
}

/** The cost of `usage` at `pricing`; null when no price is configured. */
export function costOfUsage(usage: Usage, pricing: Pricing | null | undefined): Cost | null {
  if (!pricing) return null;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.outputTokens);
  const inputPrice = microPerMillion(pricing.inputPerMillion);
  const outputPrice = microPerMillion(pricing.outputPerMillion);
  const input = nanoCost(usage.inputTokens - cached, inputPrice);
  const cachedInput = nanoCost(
    cached,
    pricing.cachedInputPerMillion === undefined ? inputPrice : microPerMillion(pricing.cachedInputPerMillion),
  );
  const output =
    nanoCost(usage.outputTokens - reasoning, outputPrice) +
    nanoCost(reasoning, pricing.reasoningPerMillion === undefined ? outputPrice : microPerMillion(pricing.reasoningPerMillion));
  return {
    input: toAmount(input),
    cachedInput: toAmount(cachedInput),
    output: toAmount(output),
    total: toAmount(input + cachedInput + output),
    currency: pricing.currency ?? "USD",
  };
}
