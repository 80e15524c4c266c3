/**
 * Our messages → Gemini's `systemInstruction` and `contents`.
 *
 * Gemini has two roles, `user` and `model`; system prompts go apart; tool results are
 * `functionResponse` parts in a `user` turn, matched to their call by name (and id); consecutive
 * turns of one role are merged. A replayed call gets back the thought signature its id carries.
 */
import type { Content, Part } from "@google/genai";
import { GatewayError, type FieldProblem } from "../../core/errors";
import type { ContentPart, Message } from "../../core/request";
import { decodeGoogleToolCallId } from "./google-tool-call-id";

/** Google's documented stand-in for a signature that was lost (history from elsewhere). */
export const SKIP_THOUGHT_SIGNATURE_VALIDATOR = "skip_thought_signature_validator";

export interface GoogleContents {
  systemInstruction?: Content;
  contents: Content[];
}

export interface ConvertToGoogleOptions {
  /** Put the sentinel on replayed calls that have no signature (Gemini 3 refuses them otherwise). */
  needsThoughtSignatures: boolean;
}

export function convertToGoogleContents(messages: Message[], options: ConvertToGoogleOptions): GoogleContents {
  const system: Part[] = [];
  const contents: Content[] = [];
  const problems: FieldProblem[] = [];
  /** Tool calls seen so far in the history, by the id the client knows them by. */
  const calls = new Map<string, { name: string; core: string }>();

  const push = (role: "user" | "model", parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push({ text: m.content });
        return;
      case "user":
        push(
          "user",
          typeof m.content === "string"
            ? [{ text: m.content }]
            : m.content.map((p, j) => userPart(p, `messages[${i}].content[${j}].url`, problems)),
        );
        return;
      case "assistant": {
        const parts: Part[] = [];
        if (m.content) parts.push({ text: m.content });
        let signed = false;
        m.toolCalls?.forEach((c, j) => {
          const args = parseArguments(c.arguments, `messages[${i}].toolCalls[${j}].arguments`, problems);
          const { core, thoughtSignature } = decodeGoogleToolCallId(c.id);
          calls.set(c.id, { name: c.name, core });
          const part: Part = { functionCall: { id: core, name: c.name, args } };
          if (thoughtSignature) {
            part.thoughtSignature = thoughtSignature;
            signed = true;
          } else if (options.needsThoughtSignatures && !signed) {
            // Gemini signs only the first call of a parallel batch; unsigned calls before any
            // signed one came from elsewhere.
            part.thoughtSignature = SKIP_THOUGHT_SIGNATURE_VALIDATOR;
          }
          parts.push(part);
        });
        push("model", parts);
        return;
      }
      case "tool": {
        const call = calls.get(m.toolCallId);
        if (!call) {
          problems.push({
            field: `messages[${i}].toolCallId`,
            message: `no earlier assistant message has a tool call with id "${m.toolCallId}" (google matches results to calls by name)`,
          });
          return;
        }
        push("user", [{ functionResponse: { id: call.core, name: call.name, response: toolResponse(m.content) } }]);
        return;
      }
    }
  });

  if (contents.length === 0 && problems.length === 0) {
    problems.push({ field: "messages", message: "google needs at least one user, assistant or tool message besides the system prompt" });
  }
  if (problems.length) {
    throw new GatewayError("invalid_request", problems.map((p) => `${p.field}: ${p.message}`).join("; "), { details: problems });
  }
  return { ...(system.length && { systemInstruction: { parts: system } }), contents };
}

/** Gemini takes a call's arguments as an object; ours are JSON text. */
function parseArguments(text: string, field: string, problems: FieldProblem[]): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push({ field, message: "must be valid JSON (google takes tool-call arguments as an object)" });
    return {};
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    problems.push({ field, message: "must be a JSON object (google takes tool-call arguments as an object)" });
    return {};
  }
  return value as Record<string, unknown>;
}

/** A tool result as `functionResponse.response`, which must be an object. */
function toolResponse(content: string): Record<string, unknown> {
  const trimmed = content.trimStart();
  if (trimmed.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(content);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not JSON after all: sent as text below.
    }
  }
  return { content };
}

function userPart(part: ContentPart, field: string, problems: FieldProblem[]): Part {
  if (part.type === "text") return { text: part.text };
  if (part.url.startsWith("data:")) return inlineData(part.url, field, problems);
  return { fileData: { fileUri: part.url, mimeType: guessMimeType(part.url) } };
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

function inlineData(url: string, field: string, problems: FieldProblem[]): Part {
  const match = DATA_URL.exec(url);
  if (!match) {
    problems.push({ field, message: "is not a valid data: URL" });
    return { text: "" };
  }
  const mimeType = match[1] || "image/jpeg";
  const isBase64 = /;base64$/i.test(match[2]!);
  let data = match[3]!;
  if (isBase64) data = data.replace(/\s+/g, "");
  else {
    try {
      data = Buffer.from(decodeURIComponent(data), "utf8").toString("base64");
    } catch {
      problems.push({ field, message: "is not a valid data: URL (bad percent-encoding)" });
    }
  }
  return { inlineData: { mimeType, data } };
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  jpe: "image/jpeg",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  gif: "image/gif",
  pdf: "application/pdf",
};

/** Gemini wants a MIME type with `fileData`; the URL's extension is all we know without fetching it. */
export function guessMimeType(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Validated as https: by the contract; keep the raw text if it still does not parse.
  }
  const dot = path.lastIndexOf(".");
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : "";
  return MIME_BY_EXTENSION[ext] ?? "image/jpeg";
}
