/** The google provider's pure pieces: the tool-call id scheme, model traits, finish reasons, usage. */
import { describe, expect, test } from "bun:test";
import { geminiModelTraits } from "../../src/providers/google/gemini-model-generation";
import { googleUsage } from "../../src/providers/google/google-response-to-events";
import { decodeGoogleToolCallId, encodeGoogleToolCallId } from "../../src/providers/google/google-tool-call-id";
import { mapGoogleFinishReason } from "../../src/providers/google/map-google-finish-reason";

describe("google tool-call ids", () => {
  test("a base64 signature round-trips at its own length, in characters every provider accepts", () => {
    for (const signature of ["EqsFCqgF+/9a", "EqsFCqgF+/9=", "EqsFCqgF+/==", "Cg=="]) {
      const id = encodeGoogleToolCallId("call_abc123", signature);
      expect(id).toMatch(/^call_abc123__gtsb[A-Za-z0-9_-]+$/);
      expect(id.length).toBeLessThanOrEqual("call_abc123__gtsb".length + signature.length);
      expect(decodeGoogleToolCallId(id)).toEqual({ core: "call_abc123", thoughtSignature: signature });
    }
  });

  test("a signature that is not canonical base64 still round-trips", () => {
    for (const signature of ["not base64 at all ✓", "abc", "ab-_", "Cg="]) {
      const id = encodeGoogleToolCallId("fc_1", signature);
      expect(id).toMatch(/^fc_1__gts[bu][A-Za-z0-9_-]+$/);
      expect(decodeGoogleToolCallId(id)).toEqual({ core: "fc_1", thoughtSignature: signature });
    }
  });

  test("ids without a signature, and foreign ids, are plain ids", () => {
    expect(encodeGoogleToolCallId("call_1", undefined)).toBe("call_1");
    for (const id of ["call_1", "toolu_01A09q90qw90lq917835lq9", "__gtsbAAAA", "x__gtsq123", "x__gtsb", "x__gtsb a"]) {
      expect(decodeGoogleToolCallId(id)).toEqual({ core: id });
    }
  });
});

describe("gemini model traits", () => {
  test("generation from the deployment name", () => {
    expect(geminiModelTraits("gemini-2.5-flash")).toEqual({ major: 2, thinkingLevel: false, needsThoughtSignatures: false });
    expect(geminiModelTraits("gemini-3-pro-preview")).toEqual({ major: 3, thinkingLevel: true, needsThoughtSignatures: true });
    expect(geminiModelTraits("models/gemini-3.1-flash")).toEqual({ major: 3, thinkingLevel: true, needsThoughtSignatures: true });
    expect(geminiModelTraits("gemini-flash-latest")).toEqual({ major: undefined, thinkingLevel: false, needsThoughtSignatures: true });
    expect(geminiModelTraits("gemma-3-27b-it")).toEqual({ major: undefined, thinkingLevel: false, needsThoughtSignatures: false });
  });
});

describe("google finish reasons", () => {
  test("each documented value", () => {
    expect(mapGoogleFinishReason("STOP", false)).toEqual({ reason: "stop" });
    expect(mapGoogleFinishReason("MAX_TOKENS", true)).toEqual({ reason: "length" });
    expect(mapGoogleFinishReason("CONTINUATION", true)).toEqual({ reason: "length" });
    for (const r of ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"]) {
      expect(mapGoogleFinishReason(r, true)).toEqual({ reason: "content_filter" });
    }
    for (const r of ["MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"]) {
      expect(mapGoogleFinishReason(r, true)).toEqual({ failure: "model" });
    }
    expect(mapGoogleFinishReason("MISSING_THOUGHT_SIGNATURE", false)).toEqual({ failure: "signature" });
    expect(mapGoogleFinishReason("OTHER", true)).toEqual({ reason: "stop" });
    expect(mapGoogleFinishReason("OTHER", false)).toEqual({ failure: "model" });
    expect(mapGoogleFinishReason("SOMETHING_NEW", true)).toEqual({ reason: "stop" });
  });
});

describe("google usage", () => {
  test("thinking counts as output; zero counts Google leaves out are zero", () => {
    expect(
      googleUsage({
        promptTokenCount: 9,
        candidatesTokenCount: 23,
        thoughtsTokenCount: 185,
        cachedContentTokenCount: 4,
        totalTokenCount: 217,
      }),
    ).toEqual({
      inputTokens: 9,
      outputTokens: 208,
      reasoningTokens: 185,
      cachedInputTokens: 4,
    });
    expect(googleUsage({ promptTokenCount: 7, totalTokenCount: 7 })).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect(googleUsage({ totalTokenCount: 0 })).toBeNull();
  });
});
