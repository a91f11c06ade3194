import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUBE_VERSION } from '../../src/kube/kubeBinaries.js';
import { packageRoot } from '../../src/paths.js';

describe('the pinned Kubernetes release', () => {
  it('is the one scripts/build-kube.sh builds', () => {
    const script = readFileSync(join(packageRoot(), 'scripts', 'build-kube.sh'), 'utf8');
    expect(script).toContain(`version="\${CAIRN_KUBE_VERSION:-${KUBE_VERSION}}"`);
  });
});
