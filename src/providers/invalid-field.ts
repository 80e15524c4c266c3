/** A request a provider cannot take, for one reason about one field: a clear 400. */
import { GatewayError } from "../core/errors";

export function invalid(field: string, message: string): GatewayError {
  return new GatewayError("invalid_request", `${field}: ${message}`, { details: [{ field, message }] });
}
