/**
 * Takes a provider's secrets out of text that came from (or about) its upstream. An upstream may
 * echo what we sent it — "Authorization was: Bearer sk-…" in a 400 — and that text goes on to the
 * client, the logs and the usage event; the secrets must not.
 *
 * The secrets of a provider are its `apiKey`, every `headers` value and its AWS credentials. Each is
 * removed as sent and in the encodings an echo is likely to use (URL-encoded, JSON-escaped,
 * base64). Values shorter than `MIN_SECRET_LENGTH` are left alone: no key is that short, and
 * replacing "1" or "v1" everywhere would only garble messages.
 */
import type { ProviderConfig } from "./providers";

export const REDACTED = "[REDACTED]";
const MIN_SECRET_LENGTH = 8;

/** Per provider config: the strings to remove, longest first. */
const cache = new WeakMap<ProviderConfig, string[]>();

export function secretsOf(config: ProviderConfig): string[] {
  let secrets = cache.get(config);
  if (!secrets) {
    const values = [config.apiKey, config.secretAccessKey, config.sessionToken, config.accessKeyId, ...Object.values(config.headers ?? {})];
    const forms = new Set<string>();
    for (const value of values) {
      if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) continue;
      forms.add(value);
      forms.add(encodeURIComponent(value));
      forms.add(JSON.stringify(value).slice(1, -1));
      const base64 = Buffer.from(value, "utf8").toString("base64");
      forms.add(base64.replace(/=+$/, ""));
      forms.add(base64.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
    }
    secrets = [...forms].sort((a, b) => b.length - a.length);
    cache.set(config, secrets);
  }
  return secrets;
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  for (let i = 0; i < secrets.length; i++) {
    if (text.includes(secrets[i]!)) text = text.replaceAll(secrets[i]!, REDACTED);
  }
  return text;
}
