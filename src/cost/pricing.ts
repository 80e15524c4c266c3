/**
 * Prices in the model mapping: per model, and per target overriding the model's. Amounts are per
 * million tokens, in `currency`, to at most six decimal places (finer digits are rounded away).
 */
import { Type as T, type Static } from "@sinclair/typebox";

const amount = T.Number({ minimum: 0, maximum: 1_000_000 });

export const PricingSchema = T.Object(
  {
    /** ISO 4217 code; "USD" when left out. */
    currency: T.Optional(T.String({ pattern: "^[A-Z]{3}$" })),
    /** Input tokens not read from a cache. */
    inputPerMillion: amount,
    /** Input tokens read from a provider's prompt cache; the input price when left out. */
    cachedInputPerMillion: T.Optional(amount),
    /** Output tokens that are not reasoning. */
    outputPerMillion: amount,
    /** Reasoning ("thinking") tokens, part of the output; the output price when left out. */
    reasoningPerMillion: T.Optional(amount),
  },
  { additionalProperties: false },
);

export type Pricing = Static<typeof PricingSchema>;
