import { aclCommands } from './acl-cmd.js';
import { adminCommands } from './admin.js';
import { clientCommands } from './client.js';
import { commandCommands } from './command-info.js';
import { configCommands } from './config-cmd.js';
import { slowlogCommands } from './slowlog-cmd.js';
import { connectionCommands } from './connection.js';
import { debugCommands } from './debug.js';
import { dynamoCommands } from './dynamo.js';
import { expiryCommands } from './expiry.js';
import { introspectionCommands } from './introspection.js';
import { pubsubCommands } from './pubsub.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { scriptingCommands } from './scripting.js';
import { setCommands } from './sets.js';
import { stringMathCommands } from './string-math.js';
import { stringRangeCommands } from './string-ranges.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import type { CommandSpec } from './types.js';

/** Every command group the node serves, for buildTable. */
export const allCommands: ReadonlyArray<readonly CommandSpec[]> = [
  connectionCommands,
  aclCommands,
  transactionCommands,
  scriptingCommands,
  clientCommands,
  commandCommands,
  configCommands,
  slowlogCommands,
  introspectionCommands,
  stringCommands,
  stringMathCommands,
  stringRangeCommands,
  hashCommands,
  setCommands,
  expiryCommands,
  keyCommands,
  dynamoCommands,
  adminCommands,
  pubsubCommands,
  debugCommands,
];
