// Runs before `npm install` and at start: one clear sentence instead of a wall of errors on an old Node.
// CommonJS with no modern syntax, so that it parses on any Node that might run it.
'use strict';
var major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    'Solo OS needs Node.js 24 or newer (this is Node ' +
      process.versions.node +
      '); install Node 24 LTS and run the command again.',
  );
  process.exit(1);
}
