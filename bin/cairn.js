#!/usr/bin/env node
// The cairn command: runs the compiled CLI (scripts/setup.sh builds dist/).
import '../dist/src/cli/main.js';
