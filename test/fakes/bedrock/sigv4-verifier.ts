/**
 * Checks an AWS Signature Version 4 `Authorization` header the way AWS does, written from the
 * published algorithm with node:crypto (not with the signer the client uses, so a signing bug
 * in the client cannot hide behind the same bug here): credential scope, access key, region,
 * service, the signed headers, the payload hash, and the signature itself.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from "node:crypto";
import type { RecordedRequest } from "../fake-upstream";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string; signedHeaders: string[] }
  | { ok: false; errorType: "UnrecognizedClientException" | "InvalidSignatureException" | "IncompleteSignatureException"; reason: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Non-S3 services encode each path segment once more for the canonical request: the `%3A` of a
 * model id on the wire is `%253A` in what was signed.
 */
function canonicalUri(rawPath: string): string {
  return rawPath.split("/").map(uriEncode).join("/") || "/";
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return "";
  return rawQuery
    .split("&")
    .map((pair) => {
      const [k = "", v = ""] = pair.split("=");
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

export function verifySigV4(req: RecordedRequest, credentials: AwsCredentials, expected: { region: string; service: string }): SigV4Result {
  const auth = req.headers.authorization ?? "";
  const m = AUTH.exec(auth);
  if (!m) return { ok: false, errorType: "IncompleteSignatureException", reason: `malformed Authorization header: ${auth.slice(0, 40)}` };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = m as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) {
    return { ok: false, errorType: "UnrecognizedClientException", reason: "The security token included in the request is invalid." };
  }
  if (region !== expected.region || service !== expected.service) {
    return {
      ok: false,
      errorType: "InvalidSignatureException",
      reason: `Credential should be scoped to a valid region/service, not '${region}/${service}'`,
    };
  }
  const amzDate = req.headers["x-amz-date"] ?? "";
  if (!amzDate.startsWith(date!))
    return { ok: false, errorType: "InvalidSignatureException", reason: "Date in Credential scope does not match X-Amz-Date" };
  const signedHeaders = signedHeaderList!.split(";");
  for (const required of ["host", "x-amz-date"]) {
    if (!signedHeaders.includes(required))
      return { ok: false, errorType: "InvalidSignatureException", reason: `'${required}' must be a signed header` };
  }
  if (credentials.sessionToken !== undefined) {
    if (req.headers["x-amz-security-token"] !== credentials.sessionToken) {
      return { ok: false, errorType: "UnrecognizedClientException", reason: "The security token included in the request is invalid." };
    }
  }
  const payloadHash = sha256(Buffer.from(req.rawBody, "utf8"));
  const declared = req.headers["x-amz-content-sha256"];
  if (declared !== undefined && declared !== payloadHash && declared !== "UNSIGNED-PAYLOAD") {
    return {
      ok: false,
      errorType: "InvalidSignatureException",
      reason: "The provided x-amz-content-sha256 header does not match what was computed.",
    };
  }
  const [rawPath = "/", rawQuery = ""] = req.url.split("?");
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${(req.headers[h] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = [
    req.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    canonicalHeaders,
    signedHeaderList,
    declared ?? payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date!), region!), service!), "aws4_request");
  const expectedSignature = createHmac("sha256", key).update(stringToSign).digest("hex");
  if (expectedSignature !== signature) {
    return {
      ok: false,
      errorType: "InvalidSignatureException",
      reason:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    };
  }
  return { ok: true, accessKeyId: accessKeyId!, region: region!, service: service!, signedHeaders };
}
