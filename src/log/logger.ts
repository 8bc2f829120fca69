/**
 * The logger: JSON lines (pino), one per event, with the event's ID and level as fields so that log
 * shippers and the SCS's alarm conditions match on `event`, never on text. A line:
 *   {"level":"Alarm","time":"2026-01-01T00:00:00.000Z","app":"SIP_A","event":"00-04200",
 *    "name":"sip-listener-failed","params":{...},"msg":"SIP listener could not be opened on ..."}
 * Time comes from an injected Clock when given, so a simulated run logs virtual time.
 */
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import pino from 'pino';
import type { Clock } from '../runtime/clock.ts';
import {
  type EventId,
  type EventLevel,
  type EventParams,
  isEventId,
  logEvents,
  type ParamValue,
} from './events.ts';
import { LogEventError, renderTemplate, templateParams } from './template.ts';

/** How much is written: the `verbose` option's values (SPEC S7), lowest to highest. */
export const verbosities = ['none', 'standard', 'interaction', 'trace', 'all'] as const;
export type Verbose = (typeof verbosities)[number];

/** Debug is free-form developer output, written only with verbose: all; everything else is an event. */
export type LogLevel = EventLevel | 'Debug';

const levelValues = { Debug: 10, Trace: 20, Interaction: 30, Standard: 40, Alarm: 50 } as const;
type PinoLevel = keyof typeof levelValues;

const threshold: Record<Verbose, PinoLevel | 'silent'> = {
  none: 'silent',
  standard: 'Standard',
  interaction: 'Interaction',
  trace: 'Trace',
  all: 'Debug',
};

export interface LineSink {
  write(line: string): void;
}

export interface LoggerOptions {
  app: string;
  level: Verbose;
  /** 'stdout' (default), a file path (appended to, written synchronously so a crash loses no line), or a sink. */
  destination?: string | LineSink;
  clock?: Clock;
}

type ParamArgs<Id extends EventId> = [keyof EventParams<Id>] extends [never]
  ? [params?: Record<string, never>]
  : [params: EventParams<Id>];

export interface Logger {
  /** Logs a registry event; throws LogEventError for an unknown ID or a missing parameter. */
  event<Id extends EventId>(id: Id, ...params: ParamArgs<Id>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** To skip building parameters of an event that would not be written. */
  isEnabled(level: LogLevel): boolean;
  /** `verbose` takes effect immediately on reload. */
  setVerbose(level: Verbose): void;
  /** A logger whose lines carry `bindings` as extra top-level fields (e.g. a component name). */
  child(bindings: Record<string, ParamValue>): Logger;
}

export function createLogger(options: LoggerOptions): Logger {
  const { app, level, destination = 'stdout', clock } = options;
  const stream: DestinationStream =
    typeof destination !== 'string'
      ? destination
      : destination === 'stdout'
        ? pino.destination(1)
        : pino.destination({ dest: destination, append: true, mkdir: true, sync: true });
  const base = pino<PinoLevel, true>(
    {
      customLevels: levelValues,
      useOnlyCustomLevels: true,
      // pino lower-cases a construction-time level that matches one of its defaults ("Trace" -> "trace"),
      // which is not one of ours; the level is set right after instead.
      level: 'silent',
      base: { app },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: clock
        ? () => `,"time":"${new Date(clock.now()).toISOString()}"`
        : pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
  base.level = threshold[level];
  return wrap(base);
}

/** Each template's placeholder names, worked out once. */
const placeholders = new Map<string, readonly string[]>();

/** What renderTemplate would throw for a missing parameter, without building the text. */
function checkParams(template: string, params: Readonly<Record<string, ParamValue>>): void {
  let names = placeholders.get(template);
  if (names === undefined) {
    names = templateParams(template);
    placeholders.set(template, names);
  }
  for (const name of names) {
    if (!Object.hasOwn(params, name) || params[name] === undefined) {
      throw new LogEventError(`log template "${template}" needs the parameter "${name}"`);
    }
  }
}

function wrap(p: PinoLogger<PinoLevel>): Logger {
  return {
    event(id, ...args) {
      const key: string = id;
      if (!isEventId(key))
        throw new LogEventError(`unknown log event ID "${key}": add it to src/log/events.ts`);
      const spec = logEvents[key];
      const params = (args[0] ?? {}) as Record<string, ParamValue>;
      if (!p.isLevelEnabled(spec.level)) {
        // Not written, so not rendered (calls log events at levels `standard` filters out); a missing
        // parameter is still the programming error it is when the line is written.
        checkParams(spec.template, params);
        return;
      }
      p[spec.level]({ event: key, name: spec.name, params }, renderTemplate(spec.template, params));
    },
    debug(msg, fields) {
      if (p.isLevelEnabled('Debug')) p.Debug(fields ?? {}, msg);
    },
    isEnabled(level) {
      return p.isLevelEnabled(level);
    },
    setVerbose(level) {
      p.level = threshold[level];
    },
    child(bindings) {
      return wrap(p.child(bindings));
    },
  };
}
