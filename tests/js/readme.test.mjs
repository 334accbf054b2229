// The README ships in the tarball and is the npm page: every link in it must resolve there. So no
// relative links; links into this repository name files and folders that exist; anchors name
// headings of the README itself.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REPO = 'https://github.com/ttpay-wasm/ttpay-wasm';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

test("the packed README's links resolve on the npm page", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.equal(readFileSync(join(root, 'pkg/README.md'), 'utf8'), readme, 'pkg/README.md is the README as built');
  const anchors = new Set([...readme.matchAll(/^#{1,4} (.+)$/gm)].map((m) => slug(m[1])));
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length > 10, 'links found');
  for (const link of links) {
    if (link.startsWith('#')) {
      assert.ok(anchors.has(link.slice(1)), `${link}: no such heading`);
    } else if (link.startsWith(`${REPO}/`)) {
      const path = link.slice(REPO.length + 1).replace(/^(blob|tree)\/main\//, '').replace(/#.*$/, '');
      assert.ok(existsSync(join(root, path)), `${link}: ${path} is not in the repository`);
    } else {
      assert.match(link, /^https:\/\//, `${link}: a relative link is dead on the npm page`);
    }
  }
});
