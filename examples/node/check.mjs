// End to end against a running KIX, as a national system would run it:
//   KIX_URL=http://127.0.0.1:8000 KIX_KEY_FILE=agency.key.json KIX_SERVER_JWKS=server.jwks.json \
//   KIX_ALERT_FILE=alert.json [KIX_EXPECT_RECORD=<an id another agency shared>] node check.mjs
// It echoes, creates an alert (and retries the create with its Idempotency-Key), reads it back, pages
// its feed until it sees KIX_EXPECT_RECORD's record.created event, registers a webhook on a local
// receiver, has KIX send it a test event and verifies that delivery. Prints one line of JSON; exits 1
// on the first failure.

import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { KixClient, loadAgencyKey, loadServerKeys } from "./kix-client.mjs";

const env = (name) => {
  if (!process.env[name]) throw new Error(`set ${name}`);
  return process.env[name];
};

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** A local receiver: resolves with the first delivery's method, URL, headers and body. */
function receiver() {
  let deliver;
  const delivered = new Promise((resolve) => (deliver = resolve));
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      response.writeHead(204).end();
      deliver({ method: request.method, headers: request.headers, body: Buffer.concat(chunks) });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, delivered, url: `http://127.0.0.1:${server.address().port}/kix-events` })),
  );
}

function within(promise, seconds, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function main() {
  const client = new KixClient({
    baseUrl: env("KIX_URL"),
    agencyKey: loadAgencyKey(env("KIX_KEY_FILE")),
    serverKeys: loadServerKeys(env("KIX_SERVER_JWKS")),
    actor: "node-check",
  });
  const report = { seconds: {} };
  const started = Date.now();
  const lap = (step) => (report.seconds[step] = (Date.now() - started) / 1000);

  const echoed = await client.echo({ hello: "from node", at: Date.now() });
  assert(echoed.data.payload.hello === "from node", "the echo differs");
  report.agency = echoed.data.agency_id;
  lap("echo");

  const alert = JSON.parse(readFileSync(env("KIX_ALERT_FILE"), "utf8"));
  const key = `node-${randomUUID()}`;
  const created = await client.createAlert(alert, key);
  assert(created.status === 201, `create answered ${created.status}`);
  const again = await client.createAlert(alert, key);
  assert(again.data.id === created.data.id, "a retry with the same Idempotency-Key created another alert");
  const read = await client.getAlert(created.data.id);
  assert(read.data.victim.name === alert.victim.name && read.headers.get("etag"), "the alert read back differs");
  report.created = created.data.id;
  lap("create");

  const expected = process.env.KIX_EXPECT_RECORD;
  if (expected) {
    let after;
    let pages = 0;
    let found = null;
    while (!found && pages < 50) {
      const page = (await client.feed(after)).data;
      found = page.items.find((event) => event.type === "record.created" && event.record_id === expected) ?? null;
      if (page.items.length === 0) break;
      after = page.cursor;
      pages += 1;
    }
    assert(found, `no record.created event for ${expected} in the feed`);
    report.feed_event = found.event_id;
    lap("feed");
  }

  const { server, delivered, url } = await receiver();
  try {
    const endpoint = (await client.addWebhook(url)).data;
    await client.call("POST", `/v1/webhooks/${endpoint.id}/test`);
    const delivery = await within(delivered, 30, "webhook delivery");
    const seen = new Set();
    const remember = (id) => (seen.has(id) ? true : (seen.add(id), false));
    const event = await client.verifyWebhook({ method: delivery.method, url, headers: delivery.headers, body: delivery.body, seen: remember });
    assert(event.type === "webhook.test", `the delivery carried ${event.type}`);
    let replayRefused = false;
    try {
      await client.verifyWebhook({ method: delivery.method, url, headers: delivery.headers, body: delivery.body, seen: remember });
    } catch {
      replayRefused = true;
    }
    assert(replayRefused, "a replayed delivery was accepted");
    report.webhook_event = event.event_id;
    lap("webhook");
  } finally {
    server.close();
  }
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
