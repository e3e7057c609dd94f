import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * ./dev runs whichever Postgres major version the machine has (Debian 12 ships 15, Ubuntu 24.04
 * 16, Debian 13 17): pg_bin (scripts/dev/infra.sh) picks the binaries, here over a made-up
 * library directory of installed versions and a made-up data directory.
 */
let root: string;
const lib = () => join(root, 'lib');
const state = () => join(root, 'state');

function install(...majors: number[]) {
  for (const major of majors) {
    mkdirSync(join(lib(), String(major), 'bin'), { recursive: true });
    writeFileSync(join(lib(), String(major), 'bin', 'initdb'), '#!/bin/sh\n');
    chmodSync(join(lib(), String(major), 'bin', 'initdb'), 0o755);
  }
}

function pgBin(env: Record<string, string> = {}): { ok: boolean; out: string } {
  const script = 'ROOT_DIR="$1"; set -e; for m in lib config infra; do source "$ROOT_DIR/scripts/dev/$m.sh"; done; PG_DATA="$2"; pg_bin';
  try {
    const out = execFileSync('bash', ['-c', script, 'pg_bin', ROOT_DIR, join(state(), 'postgres')], {
      env: { PATH: process.env.PATH!, HOME: root, PG_LIB_DIR: lib(), ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, out: out.trim() };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

describe('./dev picks the Postgres the machine has', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pg-version-'));
    mkdirSync(state());
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('uses the newest installed major version for a new data directory', () => {
    install(9, 15, 17);
    expect(pgBin()).toEqual({ ok: true, out: join(lib(), '17', 'bin') });
  });

  it('keeps an existing data directory on its own major version', () => {
    install(15, 17);
    mkdirSync(join(state(), 'postgres'));
    writeFileSync(join(state(), 'postgres', 'PG_VERSION'), '15\n');
    expect(pgBin()).toEqual({ ok: true, out: join(lib(), '15', 'bin') });
  });

  it('uses PG_MAJOR when set, and says what to install when it is missing', () => {
    install(16, 17);
    expect(pgBin({ PG_MAJOR: '16' })).toEqual({ ok: true, out: join(lib(), '16', 'bin') });
    const missing = pgBin({ PG_MAJOR: '18' });
    expect(missing.ok).toBe(false);
    expect(missing.out).toContain('apt-get install postgresql-18');
  });

  it('refuses a PG_MAJOR that differs from the data directory, and a machine without Postgres', () => {
    install(15, 16);
    mkdirSync(join(state(), 'postgres'));
    writeFileSync(join(state(), 'postgres', 'PG_VERSION'), '15\n');
    const mismatch = pgBin({ PG_MAJOR: '16' });
    expect(mismatch.ok).toBe(false);
    expect(mismatch.out).toContain('holds a Postgres 15 cluster');
    rmSync(lib(), { recursive: true });
    rmSync(join(state(), 'postgres'), { recursive: true });
    const none = pgBin();
    expect(none.ok).toBe(false);
    expect(none.out).toContain('apt-get install postgresql');
  });

  it('installs the distribution\'s current version, or PG_MAJOR\'s', () => {
    const packages = (env: Record<string, string>) =>
      execFileSync('bash', ['-c', 'ROOT_DIR="$1"; for m in lib config; do source "$ROOT_DIR/scripts/dev/$m.sh"; done; echo "${APT_PACKAGES[0]}"', 'apt', ROOT_DIR], {
        env: { PATH: process.env.PATH!, HOME: root, ...env },
        encoding: 'utf8',
      }).trim();
    expect(packages({})).toBe('postgresql');
    expect(packages({ PG_MAJOR: '17' })).toBe('postgresql-17');
  });
});
