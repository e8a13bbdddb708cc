/**
 * The README's copy-paste material works as printed: the proxyless bootstrap is accepted by
 * grpc-js-xds's own loader (locality included) and its node ID follows the 4-part rule, the `diff`
 * example names a file that exists and prints exactly the block the README shows, and the flag
 * passing through `npm start` matches the script.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNodeId } from '../model/proxy.js';
import { diffCommand } from '../server/cli/commands.js';
import { REPO_ROOT } from './tspilot.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The first fenced block of `lang` after `heading`. */
function block(heading: string, lang: string): string {
  const at = README.indexOf(heading);
  assert.ok(at >= 0, `README has "${heading}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(README.slice(at));
  assert.ok(m, `a \`\`\`${lang} block after "${heading}"`);
  return m[1]!;
}

describe('README copy-paste material', function () {
  this.timeout(60_000);

  it('the proxyless bootstrap: grpc-js-xds loads it, the node carries a locality and a 4-part node ID tspilot accepts', () => {
    const text = block('### Connect a proxyless gRPC client', 'json');
    const b = JSON.parse(text) as {
      node: { id: string; locality?: object; metadata: Record<string, unknown> };
      xds_servers: { server_uri: string }[];
    };
    assert.ok(b.node.locality, 'node.locality');
    const p = parseNodeId(b.node.id, b.node.metadata);
    assert.ok(p.ok, p.ok ? '' : p.reason);
    assert.equal(p.proxy.generator, 'grpc');
    assert.equal(b.xds_servers[0]!.server_uri, 'localhost:15010');
    // grpc-js-xds's loader, in a fresh process (it caches the bootstrap), on the README's text.
    const load = `import('@grpc/grpc-js-xds/build/src/xds-bootstrap.js').then((m) => { const i = m.loadBootstrapInfo(); console.log(JSON.stringify({ node: i.node.id, servers: i.xdsServers.length })); })`;
    const r = spawnSync(process.execPath, ['-e', load], {
      cwd: REPO_ROOT,
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: text },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { node: b.node.id, servers: 1 });
    // And without the locality, the loader refuses it: the failure the README warns about.
    const noLocality = JSON.stringify({ ...b, node: { id: b.node.id, metadata: b.node.metadata } });
    const bad = spawnSync(process.execPath, ['-e', load], {
      cwd: REPO_ROOT,
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: noLocality },
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0, 'grpc-js-xds refuses a node without locality');
  });

  it('the diff example names a real file and prints the block the README shows', async () => {
    const cmd = /node dist\/server\/main\.js diff --config-dir (\S+) --apply (\S+)/.exec(README);
    assert.ok(cmd);
    assert.ok(existsSync(path.join(REPO_ROOT, cmd[2]!)), cmd[2]);
    const r = await diffCommand({ configDir: path.join(REPO_ROOT, cmd[1]!), apply: path.join(REPO_ROOT, cmd[2]!) });
    assert.equal(r.code, 0, r.out);
    const shown = block('`diff` prints each changed resource once', '');
    assert.ok(r.out.startsWith(shown), `README shows:\n${shown}\nthe command prints:\n${r.out}`);
  });

  it('flags pass through npm start after --, appended to the serve command', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    assert.match(
      pkg.scripts.start,
      /&& dist\/server\/main\.js serve [^&|;]*$/, // the file itself: its first line is the launch line (server/launch.ts)
      'serve is the last command of the script, so npm appends the flags to it',
    );
    assert.match(README, /npm start -- --log-output-level ads:debug/);
  });
});
