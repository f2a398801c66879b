// A national system's KIX client in Node.js, written from docs/integration.md with maintained npm
// packages: `http-message-signatures` (RFC 9421) and `jose` (RFC 7516 JWE). It shares no code with the
// Python SDK. Node's own crypto holds the keys (Ed25519 to sign, X25519 to decrypt).

import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as edSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { httpbis, createVerifier } from "http-message-signatures";
import { CompactEncrypt, compactDecrypt } from "jose";
import { parseDictionary } from "structured-headers";

const JOSE = "application/jose";
const JWE_ALG = "ECDH-ES+A256KW";
const JWE_ENC = "A256GCM";
const COVERED_WHEN_PRESENT = ["accept", "if-match", "if-none-match", "idempotency-key"];
const REQUEST_PARAMS = ["created", "expires", "nonce", "keyid", "alg", "tag"];
const RESPONSE_FIELDS = ["@status", "content-type", "content-digest"];
// Taken from the request (;req), binding the answer to it.
const RESPONSE_REQ_FIELDS = ["@method", "@target-uri", "signature", "signature-input"];
const WEBHOOK_FIELDS = ["@method", "@target-uri", "content-type", "content-digest", "kix-event-id"];
const MAX_SKEW_SECONDS = 300;

export class KixProblem extends Error {
  constructor(status, problem, headers) {
    super(`${status} ${problem.type}: ${problem.detail}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = Number(headers.get("retry-after")) || null;
  }
}

/** The agency's key file (KIX format: kid, sign and encrypt JWKs with their private parts). */
export function loadAgencyKey(path) {
  const file = JSON.parse(readFileSync(path, "utf8"));
  return {
    kid: file.kid,
    signing: createPrivateKey({ key: file.sign, format: "jwk" }),
    decrypting: createPrivateKey({ key: file.encrypt, format: "jwk" }),
  };
}

/** The pinned server keys: one Ed25519 and one X25519 key sharing one kid, told apart by curve. */
export function loadServerKeys(path) {
  const { keys } = JSON.parse(readFileSync(path, "utf8"));
  const byCurve = (crv) => {
    const jwk = keys.find((key) => key.crv === crv);
    if (!jwk) throw new Error(`the server keys have no ${crv} key`);
    return jwk;
  };
  const sig = byCurve("Ed25519");
  const enc = byCurve("X25519");
  return {
    kid: enc.kid,
    verifying: { [sig.kid]: createPublicKey({ key: sig, format: "jwk" }) },
    encrypting: createPublicKey({ key: enc, format: "jwk" }),
  };
}

export function contentDigest(body) {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

function headerMap(headers) {
  const map = {};
  headers.forEach((value, name) => {
    map[name.toLowerCase()] = value;
  });
  return map;
}

/** The response signature must take @method, @target-uri, signature and signature-input from our
 * request (;req): http-message-signatures checks required fields by name only. */
function requireRequestBound(signatureInput) {
  for (const [, [components, params]] of parseDictionary(signatureInput)) {
    if (params.get("tag") !== "kix-response") continue;
    const bound = components.filter(([, componentParams]) => componentParams.get("req") === true).map(([name]) => name);
    for (const name of RESPONSE_REQ_FIELDS) {
      if (!bound.includes(name)) throw new Error(`the response signature does not bind ${name} to our request`);
    }
    return;
  }
  throw new Error("the response carries no kix-response signature");
}

export class KixClient {
  constructor({ baseUrl, agencyKey, serverKeys, actor }) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.key = agencyKey;
    this.server = serverKeys;
    this.actor = actor;
  }

  /** Encrypt a JSON payload to the server: kid = the server's key id, skid = ours. */
  async seal(payload) {
    const plaintext = new TextEncoder().encode(JSON.stringify(payload));
    return new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: JWE_ALG, enc: JWE_ENC, kid: this.server.kid, skid: this.key.kid, cty: "json" })
      .encrypt(this.server.encrypting);
  }

  /** Sign a request as the profile asks: the covered fields in their order, every parameter. */
  async signRequest(request) {
    const present = Object.keys(request.headers);
    const fields = ["@method", "@target-uri"];
    if (request.body) fields.push("content-type", "content-digest");
    fields.push(...COVERED_WHEN_PRESENT.filter((name) => present.includes(name)));
    fields.push("kix-actor");
    const now = Math.floor(Date.now() / 1000);
    const key = { id: this.key.kid, alg: "ed25519", sign: async (data) => edSign(null, data, this.key.signing) };
    return httpbis.signMessage(
      {
        key,
        name: "kix",
        fields,
        params: REQUEST_PARAMS,
        paramValues: {
          created: new Date(now * 1000),
          expires: new Date((now + 60) * 1000),
          nonce: randomBytes(16).toString("base64url"),
          tag: "kix-request",
        },
      },
      request,
    );
  }

  /** Send a signed (and, with a payload, encrypted) request; return the verified, decrypted answer. */
  async call(method, path, { payload, query, headers = {} } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const request = { method, url: url.toString(), headers: { accept: JOSE, "kix-actor": this.actor } };
    for (const [name, value] of Object.entries(headers)) request.headers[name.toLowerCase()] = value;
    if (payload !== undefined) {
      request.body = await this.seal(payload);
      request.headers["content-type"] = JOSE;
      request.headers["content-digest"] = contentDigest(request.body);
    }
    const signed = await this.signRequest(request);
    const response = await fetch(signed.url, { method, headers: signed.headers, body: request.body });
    const body = Buffer.from(await response.arrayBuffer());
    const data = await this.openResponse(signed, response, body);
    if (response.status >= 400) throw new KixProblem(response.status, data ?? {}, response.headers);
    return { status: response.status, headers: response.headers, data };
  }

  /** Verify the server's signature (bound to our request with ;req) and digest, then decrypt. */
  async openResponse(request, response, body) {
    const headers = headerMap(response.headers);
    requireRequestBound(headers["signature-input"] ?? "");
    const verified = await httpbis.verifyMessage(
      {
        keyLookup: async (params) => {
          const publicKey = this.server.verifying[params.keyid];
          if (!publicKey || params.tag !== "kix-response") return null;
          return { id: params.keyid, algs: ["ed25519"], verify: createVerifier(publicKey, "ed25519") };
        },
        requiredFields: [...RESPONSE_FIELDS, ...RESPONSE_REQ_FIELDS],
        requiredParams: ["created", "keyid", "alg", "tag"],
        notAfter: Date.now() + MAX_SKEW_SECONDS * 1000,
        maxAge: MAX_SKEW_SECONDS,
      },
      { status: response.status, headers },
      request,
    );
    if (verified !== true) throw new Error("the response is not signed by the pinned server key");
    if (headers["content-digest"] !== contentDigest(body)) throw new Error("the response body does not match its digest");
    if (body.length === 0) return null;
    if (!headers["content-type"].startsWith(JOSE)) throw new Error("the response is not encrypted");
    const { plaintext, protectedHeader } = await compactDecrypt(body.toString("ascii"), this.key.decrypting, {
      keyManagementAlgorithms: [JWE_ALG],
      contentEncryptionAlgorithms: [JWE_ENC],
    });
    if (protectedHeader.kid !== this.key.kid) throw new Error("the response is encrypted to another key");
    return JSON.parse(new TextDecoder().decode(plaintext));
  }

  echo(payload) {
    return this.call("POST", "/v1/echo", { payload });
  }

  createAlert(alert, idempotencyKey) {
    return this.call("POST", "/v1/alerts", { payload: alert, headers: { "idempotency-key": idempotencyKey } });
  }

  getAlert(id) {
    return this.call("GET", `/v1/alerts/${encodeURIComponent(id)}`);
  }

  feed(after, limit = 50) {
    return this.call("GET", "/v1/feed", { query: { after, limit } });
  }

  addWebhook(url, types = []) {
    return this.call("POST", "/v1/webhooks", { payload: { url, types } });
  }

  /**
   * The event a webhook delivery carries, after checking the server's signature (tag kix-webhook) over
   * the registered URL, the digest, the time, and that the event id is new (`seen(id)` remembers).
   */
  async verifyWebhook({ method = "POST", url, headers, body, seen }) {
    const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    const verified = await httpbis.verifyMessage(
      {
        keyLookup: async (params) => {
          const publicKey = this.server.verifying[params.keyid];
          if (!publicKey || params.tag !== "kix-webhook") return null;
          return { id: params.keyid, algs: ["ed25519"], verify: createVerifier(publicKey, "ed25519") };
        },
        requiredFields: WEBHOOK_FIELDS,
        requiredParams: ["created", "nonce", "keyid", "alg", "tag"],
        notAfter: Date.now() + MAX_SKEW_SECONDS * 1000,
        maxAge: MAX_SKEW_SECONDS,
      },
      { method, url, headers: lowered },
    );
    if (verified !== true) throw new Error("the delivery is not signed by the pinned server key");
    if (lowered["content-digest"] !== contentDigest(body)) throw new Error("the delivery does not match its digest");
    const { plaintext, protectedHeader } = await compactDecrypt(body.toString("ascii"), this.key.decrypting, {
      keyManagementAlgorithms: [JWE_ALG],
      contentEncryptionAlgorithms: [JWE_ENC],
    });
    if (protectedHeader.kid !== this.key.kid) throw new Error("the delivery is encrypted to another key");
    const event = JSON.parse(new TextDecoder().decode(plaintext));
    if (event.event_id !== lowered["kix-event-id"]) throw new Error("the signed event id is not the body's");
    if (seen(event.event_id)) throw new Error(`event ${event.event_id} was already delivered`);
    return event;
  }
}
