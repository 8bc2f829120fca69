/** The log layer (SPEC S7): the event registry and the JSON-lines logger. */
export {
  type EventId,
  type EventLevel,
  type EventParams,
  type EventSpec,
  eventLevels,
  isEventId,
  logEvents,
  type ParamValue,
  type TemplateParams,
} from './events.ts';
export {
  createLogger,
  type LineSink,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type Verbose,
  verbosities,
} from './logger.ts';
export { LogEventError, renderTemplate, templateParams } from './template.ts';
