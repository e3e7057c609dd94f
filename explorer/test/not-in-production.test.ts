import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@finder/testing/stack';
import { describe, expect, it } from 'vitest';

/** nginx.conf as ./dev renders it (scripts/dev/nginx.sh), for a flavour and a NODE_ENV. */
function render(flavour: 'local' | 'production', nodeEnv: string): string {
  const script = `ROOT_DIR="$1"; for m in lib config explorer nginx; do source "$ROOT_DIR/scripts/dev/$m.sh"; done; render_nginx_conf ${flavour}`;
  return execFileSync('bash', ['-c', script, 'render', ROOT_DIR], { env: { ...process.env, NODE_ENV: nodeEnv }, encoding: 'utf8' });
}

const EXPLORE_LOCATION = /location\s+\/explore\//;

describe('the explorer is served in development only', () => {
  it('is in the local nginx configuration in development', () => {
    const conf = render('local', 'development');
    expect(conf).toMatch(EXPLORE_LOCATION);
    expect(conf).toContain(`alias "${join(ROOT_DIR, 'explorer/dist')}/";`);
  });

  it('is absent with NODE_ENV=production and from the production nginx.conf', () => {
    expect(render('local', 'production')).not.toMatch(EXPLORE_LOCATION);
    expect(render('production', 'development')).not.toMatch(EXPLORE_LOCATION);
    expect(readFileSync(join(ROOT_DIR, 'nginx.conf'), 'utf8')).not.toMatch(EXPLORE_LOCATION);
  });
});
