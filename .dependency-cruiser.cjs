/**
 * The module boundaries of docs/architecture.md, enforced in `npm test`.
 * Each src/ module may import only the modules listed for it; resp/ imports
 * nothing from src/; nothing imports server/; no cycles.
 */
const allowed = {
  core: [],
  config: ['core'],
  metrics: ['core'],
  versioning: ['core'],
  ring: ['core'],
  storage: ['core', 'versioning'],
  transport: ['core', 'metrics'],
  membership: ['core', 'config', 'metrics', 'transport', 'ring'],
  handoff: ['core', 'storage', 'ring', 'versioning', 'transport', 'membership', 'metrics'],
  antientropy: ['core', 'storage', 'ring', 'versioning', 'transport', 'metrics'],
  coordinator: ['core', 'config', 'metrics', 'versioning', 'ring', 'storage', 'transport', 'membership', 'handoff', 'antientropy'],
  pubsub: ['core', 'config', 'transport'],
  scripting: ['core'],
  acl: ['core'],
  commands: ['core', 'versioning', 'coordinator', 'metrics', 'pubsub', 'scripting', 'acl'],
};

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'resp-stands-alone',
    comment: 'resp/ is a protocol library: it imports nothing from src/',
    severity: 'error',
    from: { path: '^resp/' },
    to: { path: '^src/' },
  },
  {
    name: 'only-server-builds-the-node',
    comment: 'src/server wires real sockets, disks and clocks; nothing imports it',
    severity: 'error',
    from: { path: '^src/(?!server/)' },
    to: { path: '^src/server/' },
  },
];

for (const [mod, deps] of Object.entries(allowed)) {
  const ok = [mod, ...deps].join('|');
  forbidden.push({
    name: `boundary-${mod}`,
    comment: `src/${mod} may import only: ${deps.join(', ') || 'nothing'}`,
    severity: 'error',
    from: { path: `^src/${mod}/` },
    to: { path: `^src/(?!(${ok})/)` },
  });
}
forbidden.push({
  name: 'node-assembly-is-socket-free',
  comment: 'the assembly of a node (used by the server and the simulation) reaches no socket, file or process state',
  severity: 'error',
  from: { path: '^src/server/node-assembly\\.ts$' },
  to: { path: '^(node:)?(net|dgram|fs|fs/promises|os|child_process|http|https)$', reachable: true },
});
forbidden.push({
  name: 'resp-only-for-commands-and-server',
  comment: 'resp/ is for the command layer, the server and scripting (which converts replies to Lua values and back)',
  severity: 'error',
  from: { path: '^src/(?!(commands|server|scripting)/)' },
  to: { path: '^resp/' },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
