// The share worker as Cloudflare runs it: the Go wasm under workerd
// (wrangler dev --local) with a local KV namespace. build.sh starts it and
// passes WORKER_URL; EXT4PLAY_BIN makes a real share fragment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const base = process.env.WORKER_URL;
const bin = process.env.EXT4PLAY_BIN;

function fragment(seed) {
  const url = execFileSync(bin, ['share', 'generic-300-dioread-nolock', '--seed', String(seed)], { encoding: 'utf8' }).trim();
  const i = url.indexOf('#s=');
  assert.ok(i >= 0, `ext4play share printed ${url}`);
  return url.slice(i + 1);
}

async function share(body) {
  const r = await fetch(`${base}/api/share`, { method: 'POST', body });
  return { status: r.status, json: await r.json() };
}

test('a shared run comes back through /s/<id>', { skip: !base && 'WORKER_URL not set' }, async () => {
  const frag = fragment(3);
  const a = await share(JSON.stringify({ fragment: '#' + frag }));
  assert.equal(a.status, 201, JSON.stringify(a.json));
  assert.match(a.json.id, /^[a-z2-7]{10}$/);
  assert.equal(a.json.path, `/s/${a.json.id}`);

  // Same run again (bare body): same id. Another seed: another id.
  const b = await share(frag);
  assert.equal(b.json.id, a.json.id);
  const c = await share(fragment(4));
  assert.notEqual(c.json.id, a.json.id);

  const r = await fetch(base + a.json.path, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/#' + frag);
  assert.match(r.headers.get('cache-control'), /immutable/);
});

test('bad input says what is wrong', { skip: !base && 'WORKER_URL not set' }, async () => {
  const v = await share('s=9.abc');
  assert.equal(v.status, 400);
  assert.match(v.json.error, /version "9"/);
  const j = await share('{"fragmnt": 1}');
  assert.equal(j.status, 400);
  assert.match(j.json.error, /unknown field/);

  let r = await fetch(`${base}/s/aaaaaaaaaa`);
  assert.equal(r.status, 404);
  assert.match(await r.text(), /no shared run with id aaaaaaaaaa/);
  r = await fetch(`${base}/s/NOT-AN-ID`);
  assert.equal(r.status, 400);
  assert.match(await r.text(), /not a share id/);
});
