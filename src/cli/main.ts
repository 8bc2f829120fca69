/**
 * `duet` command line. Wiring only (DESIGN §2): each subcommand parses its arguments and hands over to the
 * layer that does the work. Subcommands not built yet are listed as such, so `duet help` always tells the
 * truth about what works today.
 */
import { runAlarms } from './alarms.ts';
import { runConfig } from './config.ts';
import { runLca } from './lca.ts';
import { runScs } from './scs.ts';
import { runServer } from './server.ts';
import { runStatus } from './status.ts';
import { runSwitchover } from './switchover.ts';
import { runUas } from './uas.ts';
import { runUp } from './up.ts';

interface Command {
  name: string;
  summary: string;
  available: boolean;
  run?: (args: string[]) => Promise<number> | number;
}

const commands: Command[] = [
  {
    name: 'up',
    summary: 'run the pair on this host (SCS, LCA, both SIP Servers): duet up [--config FILE]',
    available: true,
    run: runUp,
  },
  {
    name: 'server',
    summary:
      'run one SIP Server (standalone, or one of a pair under an LCA): duet server --config FILE --app NAME',
    available: true,
    run: runServer,
  },
  {
    name: 'lca',
    summary: 'run the Local Control Agent of a host: duet lca --config FILE --host NAME',
    available: true,
    run: runLca,
  },
  {
    name: 'scs',
    summary: 'run the Solution Control Server: duet scs --config FILE',
    available: true,
    run: runScs,
  },
  {
    name: 'status',
    summary: 'show each HA pair: roles, HA link, sync, readiness: duet status --config FILE [--json]',
    available: true,
    run: runStatus,
  },
  {
    name: 'switchover',
    summary: 'switch a pair over: duet switchover --config FILE [--pair NAME] [--when-ready]',
    available: true,
    run: runSwitchover,
  },
  {
    name: 'alarms',
    summary: 'list the alarms the SCS raised, or clear one: duet alarms --config FILE [clear ID]',
    available: true,
    run: runAlarms,
  },
  {
    name: 'config',
    summary: 'validate a configuration file: duet config check FILE',
    available: true,
    run: runConfig,
  },
  {
    name: 'uas',
    summary:
      'a minimal SIP UAS on the sip/ layer (answers OPTIONS, INVITE, BYE): duet uas [--port N] [--host A]',
    available: true,
    run: runUas,
  },
  { name: 'help', summary: 'this text', available: true, run: () => printHelp() },
];

function printHelp(): number {
  const lines = [
    'duet: an open SIP Server for contact centers, running as a high-availability pair',
    '',
    'Commands:',
  ];
  for (const c of commands) {
    lines.push(`  ${c.name.padEnd(11)} ${c.summary}${c.available ? '' : '  [not built yet]'}`);
  }
  lines.push(
    '',
    'The HA pair (SCS, LCA, hot/warm standby, switchover, failover, readiness) of SIP Servers (registrar,',
    'B2BUA calls, routing points, trunks, OOS detection, HTTP interface, CTI for agent desktops and routers),',
    'with monitoring, Virtual IP scripts and alarms. See README.md and docs/.',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`duet: unknown command "${name}". Run "duet help" for the list.\n`);
    return 2;
  }
  if (!command.run) {
    // `npm start` runs `duet up`: until the pair exists it explains what is there, and does not fail.
    process.stdout.write(`duet ${name}: not built yet (it comes with a later issue).\n\n`);
    return printHelp();
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    // A long-running command (server, lca, scs, up) that has stopped leaves timers and sockets of its
    // libraries behind: its work is done, so the process ends here.
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`duet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
