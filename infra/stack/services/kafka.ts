/**
 * Apache Kafka in KRaft mode (one node is broker and controller), from Maven Central jars. Maven keeps
 * the jars in ~/.m2, outside the clone, so a second clone resolves the classpath without downloading.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { LOCAL_PORTS, loadConfig } from '../../config';
import { needs, which } from '../install';
import { serviceDir } from '../paths';
import { HOST } from '../probes';
import { livePid, rotateLog, runOk, spawnDetached, terminate } from '../process';
import { ensureTopics } from '../../../queues/topics';
import type { Service } from './types';

const KAFKA_VERSION = '3.9.2';
const PORT = LOCAL_PORTS.kafka;
const CPORT = LOCAL_PORTS.kafkaController;
const DIR = serviceDir('kafka');
const DATA = path.join(DIR, 'data');
const PROPS = path.join(DIR, 'server.properties');
const CLASSPATH = path.join(DIR, 'classpath.txt');
const PID_FILE = path.join(DIR, 'service.pid');
const LOG = path.join(DIR, 'kafka.log');
const NEEDLES = ['kafka.Kafka', PROPS];

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;

const PROPERTIES = `# Written by infra/stack on every start; edit infra/stack/services/kafka.ts instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${CPORT}
listeners=PLAINTEXT://${HOST}:${PORT},CONTROLLER://${HOST}:${CPORT}
advertised.listeners=PLAINTEXT://${HOST}:${PORT}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${DATA}
num.partitions=6
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
default.replication.factor=1
offsets.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
`;

/** The resolved classpath, or undefined when it was never built or ~/.m2 lost a jar since. */
function classpath(): string | undefined {
  try {
    const cp = fs.readFileSync(CLASSPATH, 'utf8').trim();
    return cp && cp.split(path.delimiter).every((jar) => fs.existsSync(jar)) ? cp : undefined;
  } catch {
    return undefined;
  }
}

/** KRaft wants a stable 22-char base64url cluster id; generated once and kept with the data. */
function clusterId(): string {
  const file = path.join(DIR, 'cluster-id');
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${crypto.randomBytes(16).toString('base64url')}\n`);
  return fs.readFileSync(file, 'utf8').trim();
}

/** The cluster id as one argv element: a base64url id may begin with '-', which the tool's parser takes for an option. */
function clusterIdArg(): string {
  return `--cluster-id=${clusterId()}`;
}

/** A client that stays silent: the launcher reports failures itself. */
function quietKafka(): Kafka {
  return new Kafka({
    clientId: 'linkhop-stack',
    brokers: [`${HOST}:${PORT}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
}

function admin() {
  return quietKafka().admin();
}

export const kafka: Service = {
  name: 'kafka',
  endpoint: `${HOST}:${PORT}`,
  logFile: LOG,
  ports: [PORT, CPORT],
  readyTimeoutMs: 90_000,
  missingPackages: () => [...needs('java', 'default-jre-headless'), ...needs('mvn', 'maven')],
  pendingInstall: () => (classpath() ? undefined : `kafka ${KAFKA_VERSION} jars (maven)`),
  async install() {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, 'pom.xml'), POM);
    const args = ['-B', '-q', '-f', path.join(DIR, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH}`];
    await runOk(which('mvn') ?? 'mvn', args, { cwd: DIR, timeoutMs: 600_000 });
    if (!classpath()) throw new Error(`maven finished but ${CLASSPATH} is missing or lists absent jars`);
  },
  pid() {
    return livePid(PID_FILE, NEEDLES);
  },
  async probe() {
    const a = admin();
    try {
      await a.connect();
      return (await a.describeCluster()).brokers.length > 0;
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  },
  async start() {
    const cp = classpath();
    if (!cp) throw new Error('kafka classpath missing; the install step did not run');
    fs.mkdirSync(DATA, { recursive: true });
    fs.writeFileSync(PROPS, PROPERTIES);
    // A java @argfile keeps the ~100-jar classpath out of the command line, so `ps` stays readable.
    const argfile = path.join(DIR, 'classpath.args');
    fs.writeFileSync(argfile, `-cp "${cp}"\n`);
    rotateLog(LOG);
    if (!fs.existsSync(path.join(DATA, 'meta.properties'))) {
      await runOk('java', [`@${argfile}`, 'kafka.tools.StorageTool', 'format',
        clusterIdArg(), '-c', PROPS, '--ignore-formatted'], { timeoutMs: 120_000 });
    }
    await spawnDetached('java', [
      '-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
      `@${argfile}`, 'kafka.Kafka', PROPS,
    ], { logFile: LOG, pidFile: PID_FILE, cwd: DIR });
  },
  async afterReady() {
    await ensureTopics(quietKafka(), loadConfig());
  },
  async stop() {
    const pid = kafka.pid();
    // A clean shutdown lets the next start skip log recovery; 30 s is ample for one idle node.
    if (pid !== undefined) await terminate(pid, NEEDLES, 30_000);
  },
};
