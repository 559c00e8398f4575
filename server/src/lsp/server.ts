// Language server entry point (dist/server.js): stdio, IPC or socket, as the client chooses.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { RULES } from '../../../rules';
import { ScalelintLanguageServer } from './language-server';

const connection = createConnection(ProposedFeatures.all);
// A bug must cost one request, not the session: log it to the output channel and go on.
process.on('uncaughtException', (error) => connection.console.error(`scalelint: uncaught ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) => connection.console.error(`scalelint: unhandled rejection ${String(reason)}`));
new ScalelintLanguageServer(connection, RULES).listen();
