'use strict';
/**
 * ali-ons (the Node.js RocketMQ client) against a NameServer, for interop tests.
 *
 *   node ons_driver.js produce --namesrv ADDR --topic T --count N --run ID [--tags TagA,TagB]
 *   node ons_driver.js consume --namesrv ADDR --topic T --group G --expect N
 *                              [--retry-first true] [--timeout-ms 60000]
 *
 * produce: synchronous sends; one {"event":"sent",...} JSON line per message.
 * consume: a clustering push consumer from the first offset; one {"event":"recv",...}
 * line per delivery until N distinct messages arrived. With --retry-first, the first
 * delivery of index 0 answers ACTION_RETRY (the broker redelivers it later).
 * Both end with "OK <mode>" or "FAIL <mode>: <reason>"; exit 0 only after OK.
 * ali-ons fetches NameServer addresses over HTTP unless nameSrv is given; it is.
 */
const { Producer, Consumer, Message } = require('ali-ons');

const httpclient = {
  request() {
    throw new Error('no HTTP address server: nameSrv is given');
  },
};

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    options[argv[i].slice(2)] = argv[i + 1];
  }
  return options;
}

function required(options, key) {
  if (options[key] === undefined) {
    throw new Error(`--${key} is required`);
  }
  return options[key];
}

function emit(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function common(options) {
  // Any non-empty credentials: the client signs requests; a broker without ACL ignores it.
  return {
    httpclient,
    nameSrv: required(options, 'namesrv'),
    accessKeyId: 'interop',
    accessKeySecret: 'interop',
    instanceName: `ons-${process.pid}`,
  };
}

async function produce(options) {
  const topic = required(options, 'topic');
  const count = Number(required(options, 'count'));
  const run = required(options, 'run');
  const tags = (options.tags || 'TagA').split(',');
  const producer = new Producer({ ...common(options), producerGroup: `ons_p_${process.pid}` });
  await producer.ready();
  try {
    for (let index = 0; index < count; index++) {
      const tag = tags[index % tags.length];
      const body = `${run}/ons/${index}`;
      const msg = new Message(topic, tag, body);
      msg.keys = [`key-${run}-${index}`];
      msg.properties.u_index = String(index);
      msg.properties.u_run = run;
      const result = await producer.send(msg);
      if (result.sendStatus !== 'SEND_OK') {
        throw new Error(`send ${index}: ${result.sendStatus}`);
      }
      emit({
        event: 'sent', index, msgId: result.msgId, body, tags: tag, keys: msg.keys,
        queueId: result.messageQueue.queueId, queueOffset: Number(result.queueOffset),
      });
    }
  } finally {
    await producer.close();
  }
}

async function consume(options) {
  const topic = required(options, 'topic');
  const expect = Number(required(options, 'expect'));
  const retryFirst = options['retry-first'] === 'true';
  const timeoutMs = Number(options['timeout-ms'] || 60000);
  const consumer = new Consumer({
    ...common(options),
    consumerGroup: required(options, 'group'),
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  const seen = new Set();
  let retried = false;
  let errors = 0;
  consumer.on('error', () => { errors += 1; });
  await consumer.ready();
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${seen.size} of ${expect} messages within ${timeoutMs} ms`)), timeoutMs);
      consumer.subscribe(topic, options.subscribe || '*', async msg => {
        emit({
          event: 'recv', msgId: msg.msgId, body: msg.body.toString(), bodyHex: msg.body.toString('hex'),
          tags: msg.tags, keys: msg.keys,
          props: msg.properties, queueId: msg.queueId, queueOffset: Number(msg.queueOffset),
          reconsumeTimes: msg.reconsumeTimes, topic: msg.topic,
        });
        if (retryFirst && !retried && msg.properties.u_index === '0') {
          retried = true;
          return Consumer.ACTION_RETRY;
        }
        // A redelivery has a new offset id; ORIGIN_MESSAGE_ID names the first.
        const id = msg.properties.ORIGIN_MESSAGE_ID || msg.properties.UNIQ_KEY || msg.msgId;
        seen.add(id);
        if (seen.size >= expect) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await consumer.close();
  }
  emit({ event: 'summary', distinct: seen.size, clientErrors: errors });
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  const modes = { produce, consume };
  if (!modes[mode]) {
    console.log(`FAIL driver: unknown mode ${mode}; use produce or consume`);
    process.exit(2);
  }
  try {
    await modes[mode](parseArgs(rest));
  } catch (err) {
    console.log(`FAIL ${mode}: ${String(err && err.stack || err).replace(/\n/g, ' ')}`);
    process.exit(1);
  }
  console.log(`OK ${mode}`);
  process.exit(0);
}

main();
