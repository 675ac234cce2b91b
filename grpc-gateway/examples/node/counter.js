#!/usr/bin/env node
// Increments and reads the replicated counter of the samples module (CounterNode, group "counter") through the
// Pekko Raft gRPC gateway, from Node.js:
//
//   npm ci
//   node counter.js [--endpoints 127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093] [--add 5] [--count 1]
//                   [--group counter] [--token TOKEN] [--ca ca.pem] [--deadline-ms 5000]
//
// It opens a client session, then submits --count increments of --add, each with the session and its own
// sequence number (1, 2, ...). A call that fails UNAVAILABLE (no leader) or DEADLINE_EXCEEDED may or may not have
// been applied: it is sent again with the SAME session and sequence, through the next endpoint, and the group
// applies it at most once and answers the retry with the first result. Then it reads the counter (LINEARIZABLE)
// and prints the group's status. Payloads are the counter's JSON (CounterCodec): {"delta":5}, the query {}, and
// the result, a number.
//
// --token (or PEKKO_RAFT_TOKEN) is sent as "authorization: Bearer <token>" (pekko-raft.gateway.auth);
// --ca names the CA certificate (PEM) of a gateway with pekko-raft.gateway.tls on. The exit code is 0 when
// every step succeeded, 1 otherwise (the gRPC status is printed).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// The service definition, from the gateway module (this directory is grpc-gateway/examples/node).
const PROTO = path.join(__dirname, '..', '..', 'src', 'main', 'protobuf', 'pekkoraft', 'v1', 'raft.proto');
// Attempts per call: enough to ride out an election (about a second or two) between retries.
const ATTEMPTS = 10;
const RETRY_PAUSE_MS = 500;

function parseArgs(argv) {
  const options = {
    endpoints: '127.0.0.1:9091,127.0.0.1:9092,127.0.0.1:9093',
    group: 'counter',
    add: '5',
    count: '1',
    token: process.env.PEKKO_RAFT_TOKEN || '',
    ca: '',
    'deadline-ms': '5000',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in options) || i + 1 >= argv.length) {
      throw new Error(`usage: node counter.js [--${Object.keys(options).join(' V] [--')} V] (at ${argv[i]})`);
    }
    options[name] = argv[i + 1];
  }
  for (const n of ['add', 'count', 'deadline-ms']) {
    if (!/^-?\d+$/.test(options[n])) throw new Error(`--${n} must be a whole number, was ${options[n]}`);
  }
  return options;
}

function clients(options) {
  const definition = protoLoader.loadSync(PROTO, { longs: String, enums: String, defaults: true });
  const RaftService = grpc.loadPackageDefinition(definition).pekkoraft.v1.RaftService;
  const credentials = options.ca
    ? grpc.credentials.createSsl(fs.readFileSync(options.ca))
    : grpc.credentials.createInsecure();
  return options.endpoints.split(',').map((endpoint) => ({
    endpoint,
    client: new RaftService(endpoint, credentials),
  }));
}

/** One unary call, with a deadline and the bearer token if there is one. */
function call(target, method, request, options) {
  const metadata = new grpc.Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  const deadline = new Date(Date.now() + Number(options['deadline-ms']));
  return new Promise((resolve, reject) => {
    target.client[method](request, metadata, { deadline }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

const OUTCOME_UNKNOWN = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/**
 * Calls `method` until it is answered, moving to the next endpoint after UNAVAILABLE or DEADLINE_EXCEEDED.
 * Safe for Submit only because the request carries a session and sequence: the group applies it once.
 */
let current = 0; // the endpoint that answered last: the next call starts there

async function withRetries(targets, method, request, options, what) {
  let lastError;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const target = targets[(current + attempt) % targets.length];
    try {
      const response = await call(target, method, request, options);
      current = targets.indexOf(target);
      return { target, response };
    } catch (error) {
      if (!OUTCOME_UNKNOWN.has(error.code)) throw error;
      lastError = error;
      console.log(`${what} on ${target.endpoint}: ${grpc.status[error.code]} (${error.details}); sending it again`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
  throw lastError;
}

const json = (value) => Buffer.from(JSON.stringify(value), 'utf8');

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const targets = clients(options);
  const group = options.group;

  const opened = await withRetries(targets, 'OpenSession', { group }, options, 'OpenSession');
  const sessionId = opened.response.sessionId;
  console.log(`session ${sessionId} opened through ${opened.target.endpoint} (expires after ${opened.response.ttlMs} ms idle)`);

  const delta = Number(options.add);
  let acked = 0;
  for (let sequence = 1; sequence <= Number(options.count); sequence++) {
    const request = {
      group,
      payload: json({ delta }),
      sessionId,
      sequence: String(sequence),
      // Every earlier sequence was answered: the group may forget those results.
      ackedSequence: String(acked),
    };
    const { target, response } = await withRetries(targets, 'Submit', request, options, `increment #${sequence}`);
    const value = JSON.parse(response.result.toString('utf8'));
    console.log(`added ${delta} through ${target.endpoint}: the counter is now ${value} (log index ${response.index})`);
    acked = sequence;
  }

  const read = await withRetries(targets, 'Query',
    { group, payload: json({}), consistency: 'LINEARIZABLE' }, options, 'read');
  console.log(`read (LINEARIZABLE) through ${read.target.endpoint}: ${JSON.parse(read.response.result.toString('utf8'))}`);

  const { response: status } = await withRetries(targets, 'Status', { group }, options, 'status');
  const members = status.members.map((m) => `${m.id} ${m.role}`).join(', ');
  console.log(`status from ${status.servedBy}: leader ${status.leader}, term ${status.term},`
    + ` commit index ${status.commitIndex}; members ${members}`);

  targets.forEach((t) => t.client.close());
}

main().catch((error) => {
  const code = error.code !== undefined ? `${grpc.status[error.code] || error.code}: ` : '';
  console.error(`failed: ${code}${error.details || error.message}`);
  process.exit(1);
});
