import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesUnder, tempDir } from '../helpers.js';

const linux = existsSync('/proc/self/stat') ? it : it.skip;

describe('process scratch folder', () => {
  linux('a process that exits while a worker thread simulates stops that simulator and leaves no folder', async () => {
    const tmp = tempDir('scratch-test-');
    // A simulator that never ends (this test is about processes, not circuits): it follows its deck.
    const binary = join(tempDir('scratch-bin-'), 'slow-sim');
    writeFileSync(binary, '#!/bin/sh\nif [ "$1" = -v ]; then echo "ngspice-39 (stand-in)"; exit 0; fi\ntouch "$4.started"\nexec tail -f "$4"\n');
    chmodSync(binary, 0o755);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/util/fixtures/stray-child.ts', binary], { env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(143);
    expect(readdirSync(tmp).filter((f) => f.startsWith('codesign'))).toEqual([]);
    expect(processesUnder(tmp)).toEqual([]);
  }, 60_000);
});
