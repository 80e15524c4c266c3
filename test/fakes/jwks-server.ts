/**
 * A fake identity provider's JWKS endpoint: serves the public keys, signs tokens with the
 * private ones, rotates keys, counts fetches and can fail on demand.
 *
 * Standalone, for poking at the service by hand:
 *   bun run test/fakes/jwks-server.ts            # PORT=4100 by default
 * prints the JWKS URL, the env to start the service with, and a token to curl with.
 */
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from "jose";
import type { Server } from "bun";
import { sign } from "../support/tokens";

export type AsymmetricAlg = "RS256" | "ES256";

interface KeyPair {
  kid: string;
  alg: AsymmetricAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: Record<string, unknown>;
}

export const JWKS_PATH = "/.well-known/jwks.json";

export class FakeJwksServer {
  /** JWKS requests served so far (failed ones included). */
  fetches = 0;
  /** When set, the endpoint answers this status instead of the keys. */
  failWith: number | null = null;
  /** When set, the endpoint answers 200 with this body instead of the keys. */
  serveBody: string | null = null;
  private readonly keys = new Map<string, KeyPair>();
  private server: Server<unknown> | null = null;

  static async start(port = 0): Promise<FakeJwksServer> {
    const fake = new FakeJwksServer();
    fake.server = Bun.serve({
      port,
      hostname: "127.0.0.1",
      fetch: (request) => fake.handle(request),
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.server!.port}${JWKS_PATH}`;
  }

  private handle(request: Request): Response {
    if (new URL(request.url).pathname !== JWKS_PATH) return new Response("not found", { status: 404 });
    this.fetches++;
    if (this.failWith !== null) return new Response("unavailable", { status: this.failWith });
    if (this.serveBody !== null) return new Response(this.serveBody, { headers: { "content-type": "application/json" } });
    return Response.json({ keys: [...this.keys.values()].map((k) => k.jwk) });
  }

  /** A new key pair; published unless `publish` is false (a key the issuer never announced). */
  async addKey(alg: AsymmetricAlg, kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`, publish = true) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
    const pair: KeyPair = { kid, alg, privateKey, publicKey, jwk };
    if (publish) this.keys.set(kid, pair);
    return pair;
  }

  removeKey(kid: string): void {
    this.keys.delete(kid);
  }

  signWith(pair: KeyPair, payload: JWTPayload, header: { kid?: string; alg?: string } = {}): Promise<string> {
    return sign(payload, pair.privateKey, { alg: pair.alg, kid: pair.kid, ...header });
  }

  /** The public key as SPKI PEM text, the "secret" an algorithm-confusion attack signs with. */
  static publicPem(pair: KeyPair): Promise<string> {
    return exportSPKI(pair.publicKey);
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    this.server = null;
  }
}

if (import.meta.main) {
  const fake = await FakeJwksServer.start(Number(process.env.PORT ?? 4100));
  const pair = await fake.addKey("RS256", "dev-key-1");
  const now = Math.floor(Date.now() / 1000);
  const token = await fake.signWith(pair, {
    sub: "dev-user",
    iss: "https://issuer.test",
    aud: "completion-service",
    iat: now,
    exp: now + 3600,
  });
  console.log(`JWKS at ${fake.url}`);
  console.log(`start the service with:
  AUTH_MODE=jwt JWT_JWKS_URL=${fake.url} JWT_ISSUER=https://issuer.test JWT_AUDIENCE=completion-service bun run src/main.ts`);
  console.log(`token (sub dev-user, valid 1 h):\n  ${token}`);
  console.log(`curl -s localhost:4000/api/v1/completions -H "authorization: Bearer ${token}" \\
  -H 'content-type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"hi"}]}'`);
}
