/**
 * Layers import downward only (DESIGN.md): ui -> state -> worker -> storage -> core; the CLI and
 * the node platform module beside them, for Node only. `npm test` runs this check (lint:layers).
 */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-above',
      comment: 'src/core is pure TS: no state, ui, worker, storage, cli or platform code (core tests may use the node platform module)',
      severity: 'error',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/(state|ui|worker|storage|cli|platform)/' },
    },
    {
      name: 'core-tests-import-no-cli',
      comment: 'core tests run core code; they may use the node platform module, never the CLI or the app',
      severity: 'error',
      from: { path: '^src/core/.*\\.test\\.ts$' },
      to: { path: '^src/(state|ui|worker|storage|cli)/' },
    },
    {
      name: 'storage-imports-core-only',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(state|ui|worker|cli|platform)/' },
    },
    {
      name: 'worker-imports-no-state-ui-cli',
      comment: 'the worker owns TF.js; storage it needs lives in src/storage',
      severity: 'error',
      from: { path: '^src/worker/' },
      to: { path: '^src/(state|ui|cli|platform)/' },
    },
    {
      name: 'state-imports-no-ui',
      severity: 'error',
      from: { path: '^src/state/' },
      to: { path: '^src/(ui|cli|platform)/' },
    },
    {
      name: 'app-imports-no-node-code',
      comment: 'the browser app never imports the CLI or the node platform module',
      severity: 'error',
      from: { path: '^src/(ui|main\\.tsx)' },
      to: { path: '^src/(cli|platform)/' },
    },
    {
      name: 'platform-imports-core-only',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(state|ui|worker|storage|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
