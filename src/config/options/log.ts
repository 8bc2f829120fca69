/**
 * The `[log]` section of a server application: how much is logged, and where (SPEC S7: JSON lines).
 */

import type { Registry } from '../option.ts';
import { oneOf, text } from '../option-type.ts';

export const logVerbosities = ['none', 'standard', 'interaction', 'trace', 'all'] as const;

export const logOptions = {
  verbose: {
    type: oneOf(logVerbosities),
    default: 'standard',
    takesEffect: 'Immediately',
    source: 'SPEC S7',
    description:
      'Which log events are written, by level: none; standard (Alarm and Standard events: what an operator ' +
      'acts on); interaction (and the Interaction events of every call and registration); trace (and the ' +
      'Trace events: protocol detail); all (everything, including debug output). standard is the default ' +
      'because it is what a busy contact center can keep.',
  },
  output: {
    type: text('stdout, or a file path'),
    default: 'stdout',
    takesEffect: 'Immediately',
    source: 'SPEC S7',
    description:
      'Where the JSON lines go: stdout, or the path of a file (appended to; relative to the working directory).',
  },
} as const satisfies Registry;
