/**
 * The legacy completions prompt ends with "Assistant:", so answers start with the space after it:
 * dropped, across as many text events as it spans.
 */
import type { AdapterEvent } from "../../core/events";
import type { EventRewrite } from "../openai-compatible/openai-compatible-adapter";

export class LeadingWhitespaceTrim implements EventRewrite {
  private started = false;

  apply(event: AdapterEvent): AdapterEvent {
    if (this.started || event.type !== "text") return event;
    const text = event.text.trimStart();
    if (text) this.started = true;
    return text === event.text ? event : { type: "text", text };
  }
}
