/**
 * `duet server --config FILE --app NAME [--data-dir DIR]`: one SIP Server on real sockets, running standalone
 * as primary (the HA issue adds the pair). Wiring only: Node adapters, the contact database, the HTTP
 * interface, SIGHUP reload and a clean stop on SIGINT/SIGTERM.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import { diffConfig } from '../config/diff.ts';
import { pairOf } from '../config/queries.ts';
import { HaGate } from '../ha/gate.ts';
import { HaNode } from '../ha/ha-node.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { LcaAppClient } from '../mgmt/lca/app-client.ts';
import { linkSecretOf } from '../mgmt/lca/secret.ts';
import { NodeHostAddresses } from '../runtime/node/host-addresses.ts';
import { NodeClock, NodeNet, NodeRandom } from '../runtime/node/index.ts';
import { startCtiService } from '../server/cti/service.ts';
import { startHttpInterface } from '../server/http/http-interface.ts';
import { createServerMetrics } from '../server/http/metrics.ts';
import { Monitors } from '../server/monitor/monitors.ts';
import { attachPersistence, restoreContacts } from '../server/registrar/attach-persistence.ts';
import { SqliteContactPersistence } from '../server/registrar/sqlite-persistence.ts';
import { SipServer } from '../server/sip-server.ts';
import { TrunkStats } from '../server/stats/trunk-stats.ts';
import { parseCommandArgs } from './args.ts';
import { readConfigFile } from './config-file.ts';

/**
 * The logger's destination: stdout or a file as `log.output` says, and each line also to `also` (the LCA
 * forwarding in a pair).
 */
function teeSink(output: string, also: (line: string) => void): { write(line: string): void } {
  return {
    write(line: string) {
      if (output === 'stdout') process.stdout.write(line);
      else appendFileSync(output, line);
      also(line);
    },
  };
}

/** A logged event worth forwarding to the SCS: Standard and Alarm levels (alarm conditions watch those). */
function parseEvent(line: string): { id: string; params: Record<string, unknown>; time: number } | undefined {
  try {
    const e = JSON.parse(line) as {
      event?: string;
      level?: string;
      params?: Record<string, unknown>;
      time?: string;
    };
    if (!e.event || (e.level !== 'Standard' && e.level !== 'Alarm')) return undefined;
    return { id: e.event, params: e.params ?? {}, time: e.time ? Date.parse(e.time) : Date.now() };
  } catch {
    return undefined;
  }
}

const USAGE = 'usage: duet server --config FILE --app NAME [--data-dir DIR]';

export async function runServer(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('server', USAGE, {
    args: argv,
    options: { config: { type: 'string' }, app: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  if (!values.config || !values.app) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const file = values.config;
  const read = readConfigFile(file);
  if (!read.ok) {
    for (const m of read.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  let config: Config = read.config;
  const appName = values.app;
  const app = config.applications[appName];
  if (app?.type !== 'sip-server') {
    const names = Object.values(config.applications)
      .filter((a) => a.type === 'sip-server')
      .map((a) => a.name);
    process.stderr.write(
      `duet server: "${appName}" is not a sip-server application of ${file} (there: ${names.join(', ')})\n`,
    );
    return 1;
  }

  let stopRequested: ((reason: string, code?: number) => void) | undefined;
  /**
   * A stop asked before the stop machinery exists — a SIGTERM from the LCA while the server is still starting,
   * or its HA port failing — is kept and carried out as soon as the start is complete (a clean exit, code 0).
   */
  let earlyStop: { reason: string; code: number } | undefined;
  const requestStop = (reason: string, code = 0): void => {
    if (stopRequested) stopRequested(reason, code);
    else earlyStop ??= { reason, code };
  };
  process.once('SIGINT', () => requestStop('SIGINT'));
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  const clock = new NodeClock();
  const net = new NodeNet();
  const random = new NodeRandom();
  const inPair = pairOf(config, appName);
  // In a pair, Standard and Alarm events also go to the LCA, for the SCS's alarm conditions (SPEC S7).
  let forward: ((line: string) => void) | undefined;
  const logger: Logger = createLogger({
    app: appName,
    level: app.options.log.verbose,
    destination: teeSink(app.options.log.output, (line) => forward?.(line)),
    clock,
  });
  logger.event('10-50001', { file });
  const dataDir = resolve(values['data-dir'] ?? 'var');
  mkdirSync(dataDir, { recursive: true });
  const persistence = new SqliteContactPersistence(join(dataDir, `${appName}.contacts.db`));

  const metrics = createServerMetrics({
    labels: { app: appName },
    processMetrics: true,
    sample: {
      callsActive: () => server.store.callCount,
      registrationsActive: () => server.store.contactCount,
      primary: () => server.gate.mayAct(),
    },
  });
  const trunkStats = new TrunkStats({ clock, dns: () => Object.values(config.dns) });
  // A server of a pair starts as Backup and takes the mode the SCS gives it (SPEC S4.1).
  const gate = inPair ? new HaGate('Backup') : undefined;
  const server: SipServer = new SipServer({
    clock,
    random,
    net,
    config,
    app: appName,
    logger,
    gate,
    hooks: {
      callCreated: () => metrics.callStarted(),
      callReleased: (call, cause) =>
        metrics.callEnded(
          call.legs.some((l) => l.side === 'callee' && l.dialog?.state === 'confirmed')
            ? 'answered'
            : cause === 'caller cancelled'
              ? 'abandoned'
              : 'failed',
        ),
      trunkCallStarted: (dn) => trunkStats.callStarted(dn),
      trunkCallEnded: (dn) => trunkStats.callEnded(dn),
      trunkFinalResponse: (dn, status) => trunkStats.finalResponse(dn, status),
      trunkOverflow: (dn) => trunkStats.overflow(dn),
    },
  });
  // SPEC S5, S6: network monitoring, Virtual IP control (through the LCA), backup initialization checks.
  let lca: LcaAppClient | undefined;
  let peerLinkedAtPromotion = false;
  const monitors = new Monitors({
    clock,
    addresses: new NodeHostAddresses(),
    logger,
    health: server.health,
    config: () => config,
    app: appName,
    role: () => server.gate.role,
    run: inPair
      ? (script, host, done) =>
          lca
            ? lca.runScript(script, host, done)
            : done({ exitCode: null, timedOut: false, output: 'not run: no LCA link yet' })
      : undefined,
    peerLinked: () => peerLinkedAtPromotion,
    checkSipPort: (done) => server.checkSipPort(done),
  });
  const initSip = monitors.initCheck.component('sip');
  const initModel = monitors.initCheck.component('model');
  const initHttp = monitors.initCheck.component('http');
  const initCti = monitors.initCheck.component('cti');
  monitors.start();
  gate?.onChange((role) => monitors.roleGiven(role));

  // S2.4: a server that starts with no peer still knows every unexpired registration.
  restoreContacts(server.store, persistence, clock.now(), { logger });
  attachPersistence(server.store, persistence, { logger });
  initModel.ready();

  const listenError = await new Promise<Error | undefined>((done) => server.start(done));
  if (listenError) initSip.failed(`cannot open the SIP port: ${listenError.message}`);
  else initSip.ready();
  if (listenError && !inPair) {
    // Standalone, a server without its SIP port cannot serve: report (00-04200 is logged) and stop.
    persistence.close();
    process.stderr.write(`duet server: cannot open the SIP port: ${listenError.message}\n`);
    return 1;
  }
  logger.event('10-10001', { app: appName, mode: server.gate.role, version: '0.1.0' });

  // SPEC S3: the CTI server runs in both roles from the start (the backup takes registrations and queries).
  const cti = startCtiService({
    net,
    clock,
    config: () => config,
    app: appName,
    logger,
    store: server.store,
    gate: server.gate,
    calls: server.b2bua,
    isInService: (dn) => server.oos.isInService(dn),
    sipOpen: () => server.status().sipListener.open,
    version: '0.1.0',
    // A port that cannot be opened is tried again every 5 s: "cti" is ready once every listener is open.
    onListening: (_transport, _port, all) => {
      if (all) initCti.ready();
    },
    onListenError: (transport, err) =>
      initCti.failed(`cannot open the CTI ${transport} port: ${err.message}`),
  });
  server.b2bua.onCallEvent((e) => cti.server.onCallEvent(e));
  server.oos.onChange((c) => cti.server.onDnServiceChange(c.dn, c.inService));

  let ha: HaNode | undefined;
  if (inPair && gate) {
    ha = new HaNode({
      net,
      clock,
      random,
      store: server.store,
      gate,
      config: () => config,
      app: appName,
      peer: inPair.peer,
      redundancy: inPair.pair.redundancyType,
      logger,
      onPeerTakeover: () => {
        gate.set('Backup');
        logger.event('10-20001', {
          app: appName,
          from: 'Primary',
          to: 'Backup',
          reason: 'the backup took over',
        });
        report();
      },
      // SPEC S5: two primaries that meet over the HA link keep one; the one without its LCA steps down.
      reachesScs: () => lca?.connected === true,
      onStepDown: (reason) => {
        gate.set('Backup');
        logger.event('10-20001', { app: appName, from: 'Primary', to: 'Backup', reason });
        report();
      },
      // Without its HA port this process is most likely a duplicate of a server that outlived its LCA (which
      // holds the port): exit, and let the LCA see the real one when it re-registers.
      onListenError: (err) => {
        process.stderr.write(`duet server: cannot bind the HA port: ${err.message}\n`);
        requestStop(`cannot bind the HA port: ${err.message}`, 1);
      },
    });
    ha.start();
    const haNode = ha;
    server.setHaStatus(() => haNode.readiness());
    const host = config.hosts[app.host];
    let lastReady: number | undefined;
    const report = (): void => {
      const s = server.status();
      if (s.readyForSwitchover !== lastReady) {
        // Seed 004: the flag an operator waits for before a switchover or an upgrade step.
        if (lastReady !== undefined) logger.event('10-20012', { app: appName, ready: s.readyForSwitchover });
        lastReady = s.readyForSwitchover;
      }
      lca?.report(s.status === 'Initializing' ? 'Running' : s.status, gate.role, {
        haLink: s.haLink,
        callsPendingSync: s.callsPendingSync,
        readyForSwitchover: s.readyForSwitchover,
        readyForUpgrade: s.readyForUpgrade,
        calls: s.calls,
      });
    };
    lca = new LcaAppClient(
      net,
      clock,
      random,
      {
        lca: { host: host?.address ?? '127.0.0.1', port: host?.lcaPort ?? 4999 },
        app: appName,
        secret: linkSecretOf(config).secret,
        pid: process.pid,
      },
      {
        onSetMode: (mode, reason) => {
          if (mode === 'Exiting') {
            requestStop(`set to Exiting: ${reason}`);
            return;
          }
          const from = gate.role;
          const apply = (): void => {
            gate.set(mode);
            if (from !== mode) logger.event('10-20001', { app: appName, from, to: mode, reason });
            // The first mode the SCS gives counts even when it is the one the gate started in (Backup).
            monitors.roleGiven(mode);
            report();
          };
          // A backup made Primary first has the old primary step down, if it is still on the HA link.
          if (mode === 'Primary' && from === 'Backup') {
            // control-remote-vip-scripts: a peer still on the link is started; it runs its own down script.
            peerLinkedAtPromotion = haNode.readiness().haLink === 'established';
            haNode.takeover(apply);
          } else apply();
        },
        onStop: (reason) => requestStop(reason),
        onConnected: report,
      },
    );
    forward = (line) => {
      const e = parseEvent(line);
      if (e) lca?.logEvent(e.id, e.params, e.time);
    };
    // Readiness changes with time (the 60 s after the link came up) and with the sync: report every second.
    const tick = (): void => {
      report();
      clock.setTimer(1000, tick);
    };
    tick();
    // A monitor's verdict goes to the SCS at once: ServiceUnavailable is what makes it switch over (SPEC S5).
    server.health.onChange(report);
  }

  let httpError: Error | undefined;
  const http = await new Promise<ReturnType<typeof startHttpInterface>>((done) => {
    const h = startHttpInterface({
      host: config.hosts[app.host]?.address ?? '127.0.0.1',
      port: app.options.tserver.httpPort,
      providers: {
        // The process id helps an operator (and the failover test) find the process behind a role.
        sipServer: () => ({ ...server.status(), ctiClients: cti.server.clientCount, pid: process.pid }),
        sipTrunkStatistics: () => trunkStats.snapshot(clock.now(), server.oos),
        sipServiceChecker: () => server.oos.snapshot(),
        tLibClientsStatistics: () => cti.server.statistics(),
      },
      metrics: metrics.registry,
      logger,
      // Called with the error once per failure episode, and again (no error) when a retry opens the port.
      onReady: (err) => {
        httpError = err;
        if (err) initHttp.failed(err.message);
        else initHttp.ready();
        done(h);
      },
    });
  });
  if (httpError) {
    // The SIP service runs on without its status page until the port opens (10-10008, then 10-10009).
    process.stderr.write(
      `duet server: HTTP interface not started: ${httpError.message}; trying again every 5 s\n`,
    );
  }

  process.on('SIGHUP', () => {
    const again = readConfigFile(file);
    if (!again.ok) {
      logger.event('10-50004', { file, count: again.messages.length, first: again.messages[0] ?? '' });
      return;
    }
    const diff = diffConfig(config, again.config);
    for (const c of diff.pendingRestart) {
      logger.event('10-50003', { option: c.path, from: String(c.from), to: String(c.to) });
    }
    config = again.config;
    server.reconfigure(config);
    logger.event('10-50002', {
      file,
      applied: diff.applied.length,
      nextCall: diff.nextCall.length,
      onHaConnection: diff.onHaConnection.length,
      pendingRestart: diff.pendingRestart.length,
    });
  });

  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      monitors.stop();
      ha?.stop();
      lca?.close();
      server.stop();
      persistence.close();
      void Promise.all([http.close(), cti.stop()]).then(() => {
        logger.event('10-10002', { app: appName, reason: signal });
        done(code);
      });
    };
    stopRequested = stop;
    if (earlyStop) stop(earlyStop.reason, earlyStop.code);
  });
}
