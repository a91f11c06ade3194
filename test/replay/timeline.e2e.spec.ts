/**
 * `cairn timeline`'s page in headless Chromium (Debian's): it renders offline (Chart.js is
 * inlined, the network is off), draws exactly one point per event and per map change, and the
 * canvas is not blank. A screenshot is written for people to look at.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import { logHistory } from '../../src/replay/history.js';
import { timelineData, timelineHtml } from '../../src/replay/timelinePage.js';
import { skipUnlessAvailable } from '../support/prerequisites.js';
import { incidentEvents } from './incidentEvents.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = skipUnlessAvailable(existsSync(CHROMIUM) ? undefined : `${CHROMIUM} (Debian package chromium)`);
const dir = mkdtempSync(join(tmpdir(), 'cairn-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== undefined)('cairn timeline page in headless Chromium', () => {
  it('renders one point per event and per map change, offline', async () => {
    const log = new MemoryEventLog();
    await log.append(incidentEvents(Date.now() - 30_000).events);
    const data = await timelineData(logHistory(log), ['node-1', 'node-2'], 1n, await log.head());
    // 5 object events on the log lane; on each node the Service, the slice, the edit and the revert.
    expect(data.events.length).toBe(5);
    expect(data.changes.map((c) => c.length)).toEqual([4, 4]);
    const page = join(dir, 'timeline.html');
    writeFileSync(page, timelineHtml(data));
    // A fresh profile directory per run (Playwright takes it as userDataDir, not as a flag).
    const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
      executablePath: CHROMIUM,
      offline: true,
      viewport: { width: 1200, height: 500 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(`file://${page}`);
      await tab.waitForSelector('body[data-rendered="true"]', { timeout: 20_000 });
      // Runs in the page (a string: this project's TypeScript has no DOM types).
      const drawn = (await tab.evaluate(`(() => {
        const t = window.cairnTimeline;
        const points = t.chart.data.datasets.reduce((n, _d, i) => n + t.chart.getDatasetMeta(i).data.length, 0);
        const canvas = document.getElementById('timeline');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return { points, expected: t.expectedPoints, painted };
      })()`)) as { points: number; expected: number; painted: number };
      expect(errors).toEqual([]);
      expect(drawn.points).toBe(13);
      expect(drawn.expected).toBe(13);
      expect(drawn.painted).toBeGreaterThan(1000);
      const shot = join(dir, 'timeline.png');
      await tab.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await context.close();
    }
  });
});
