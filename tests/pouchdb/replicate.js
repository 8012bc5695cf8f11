// The PouchDB side of issue 4's catch-up comparison: the same records the
// Rust catch-up bench sent (JSON lines, one doc per record, `_id` = record
// id) are put into a local PouchDB, then replicated with
// `PouchDB.replicate(local, remote)` to an express-pouchdb server running in
// this process on 127.0.0.1 (port 0). Only the replication is timed, as only
// the sync round is timed on our side. Both databases are LevelDB-backed
// (leveldown) in a temp dir, so the server writes durably like ours does.
//
//   node replicate.js RECORDS.jsonl [--batch-size N]
//
// Prints one JSON object: docs, seconds, docs_per_s, adapter, batch_size.

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const PouchDB = require('pouchdb');
const expressPouchDB = require('express-pouchdb');

function parseArgs(argv) {
  const args = { file: null, batchSize: 100 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--batch-size') {
      args.batchSize = Number(argv[++i]);
    } else {
      args.file = argv[i];
    }
  }
  if (!args.file || !(args.batchSize > 0)) {
    throw new Error('usage: node replicate.js RECORDS.jsonl [--batch-size N]');
  }
  return args;
}

async function readDocs(file) {
  const docs = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file) });
  for await (const line of lines) {
    if (line.trim() !== '') docs.push(JSON.parse(line));
  }
  return docs;
}

function listen(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
    server.on('error', reject);
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const docs = await readDocs(args.file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kasa-pouchdb-'));
  const serverDir = path.join(dir, 'server') + path.sep;
  fs.mkdirSync(serverDir);
  const ServerPouch = PouchDB.defaults({ prefix: serverDir });
  const app = expressPouchDB(ServerPouch, {
    mode: 'minimumForPouchDB',
    inMemoryConfig: true,
    logPath: path.join(dir, 'express-pouchdb.log'),
  });
  const server = await listen(app);
  const url = `http://127.0.0.1:${server.address().port}/kasa`;
  const local = new PouchDB(path.join(dir, 'local'));
  const remote = new PouchDB(url);
  try {
    for (let i = 0; i < docs.length; i += 1000) {
      const results = await local.bulkDocs(docs.slice(i, i + 1000));
      const failed = results.find((r) => r.error);
      if (failed) throw new Error(`local load failed: ${JSON.stringify(failed)}`);
    }
    await remote.info(); // creates the remote database before the clock starts
    const started = process.hrtime.bigint();
    const result = await PouchDB.replicate(local, remote, { batch_size: args.batchSize });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const info = await remote.info();
    if (result.ok !== true || info.doc_count !== docs.length) {
      throw new Error(
        `replication incomplete: ok=${result.ok} written=${result.docs_written} remote=${info.doc_count} of ${docs.length}`,
      );
    }
    console.log(
      JSON.stringify({
        docs: docs.length,
        seconds: Number(seconds.toFixed(3)),
        docs_per_s: Math.round(docs.length / seconds),
        adapter: (await local.info()).adapter,
        batch_size: args.batchSize,
        pouchdb: require('pouchdb/package.json').version,
        express_pouchdb: require('express-pouchdb/package.json').version,
        node: process.version,
      }),
    );
  } finally {
    await local.close();
    await remote.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`pouchdb bench failed: ${err.stack || err}`);
    process.exit(1);
  },
);
