/**
 * What the deployment name tells about a Gemini model, for the two places where generations
 * differ on the wire: how thinking is configured, and whether replayed function calls must carry
 * a thought signature.
 */

export interface GeminiModelTraits {
  /** Major version in the name (`gemini-2.5-flash` → 2); undefined for aliases like `gemini-flash-latest`. */
  major: number | undefined;
  /** Gemini 3 and later take `thinkingLevel`; earlier ones only `thinkingBudget`. */
  thinkingLevel: boolean;
  /** Gemini 3 rejects a replayed function call without a thought signature. */
  needsThoughtSignatures: boolean;
}

export function geminiModelTraits(deploymentName: string): GeminiModelTraits {
  const name = deploymentName.replace(/^(models|tunedModels)\//, "").toLowerCase();
  const isGemini = name.startsWith("gemini");
  const match = /^gemini-(\d+)(?:[.-]|$)/.exec(name);
  const major = match ? Number(match[1]) : undefined;
  return {
    major,
    thinkingLevel: major !== undefined && major >= 3,
    // An alias may point at Gemini 3: the documented sentinel is harmless where signatures are optional.
    needsThoughtSignatures: isGemini && (major === undefined || major >= 3),
  };
}
