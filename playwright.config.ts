import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/**
 * Browser lookup: HEATCHECK_CHROMIUM (or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH), then Debian's
 * /usr/bin/chromium, then Playwright's own download. None found: fail with how to get one.
 */
function findChromium(): string | undefined {
  const fromEnv = process.env.HEATCHECK_CHROMIUM ?? process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`HEATCHECK_CHROMIUM points to ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return undefined; // Playwright's own browser: let it launch it.
  } catch {
    /* fall through */
  }
  throw new Error(
    'No Chromium found for the end-to-end tests. Install one: `apt-get install chromium` (Debian/Ubuntu), ' +
      'or `npx playwright install chromium` where downloads work, or set HEATCHECK_CHROMIUM=/path/to/chromium.',
  );
}

const executablePath = findChromium();
const PORT = Number(process.env.HEATCHECK_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  // Two spec files at a time: the app's compute runs single-threaded wasm in each page's worker, so a
  // second worker uses the second core (HEATCHECK_E2E_WORKERS overrides). Tests never share state:
  // each has its own browser context (IndexedDB), and the sync spec its own server and ports.
  workers: Number(process.env.HEATCHECK_E2E_WORKERS ?? 2),
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: { executablePath },
  },
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
  projects: [
    { name: 'chromium', testIgnore: /webgpu\.spec\.ts/ },
    {
      name: 'chromium-webgpu',
      testMatch: /webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath, args: ['--enable-unsafe-webgpu'] } },
    },
  ],
});
