// @ts-check
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/**
 * import-x/no-cycle skips type-only imports by design, so a cycle closed by `import type` (as
 * `Worker` once made between kafka/group-consumer.ts and write/persister.ts) passes it. This rule
 * covers exactly those edges: for each type-only import or re-export of a repository module, it
 * reports when that module leads back to the importing file through any imports, type or value.
 * Together the two rules leave no cycle unreported.
 */

/** @type {Map<string, string[]>} Each file's repository imports, resolved (type and value alike). */
const edges = new Map();
/** @type {Map<string, string | null>} */
const resolved = new Map();

/** A specifier resolved to a repository source file, or null (packages from node_modules, assets). */
function resolveImport(specifier, fromFile) {
  const key = specifier.startsWith('.') ? resolve(dirname(fromFile), specifier) : specifier;
  if (resolved.has(key)) return resolved.get(key) ?? null;
  let file = null;
  if (specifier.startsWith('.')) {
    file = existsSync(key) ? realpathSync(key) : null;
  } else {
    try {
      // Workspace packages resolve through their `exports` to their own `.ts` sources.
      file = realpathSync(createRequire(fromFile).resolve(specifier));
    } catch {
      file = null;
    }
  }
  if (file && (file.includes('/node_modules/') || !file.endsWith('.ts'))) file = null;
  resolved.set(key, file);
  return file;
}

function importsOf(file) {
  let list = edges.get(file);
  if (list) return list;
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  list = info.importedFiles.map((f) => resolveImport(f.fileName, file)).filter((f) => f !== null);
  edges.set(file, list);
  return list;
}

/** Whether `target` is reachable from `start` (which is not `target`). */
function reaches(start, target) {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of importsOf(/** @type {string} */ (stack.pop()))) {
      if (next === target) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbids type-only imports that close an import cycle (import-x/no-cycle checks the others)' },
    schema: [],
    messages: { cycle: 'Dependency cycle through a type-only import of "{{specifier}}": move the shared type to a module both can import.' },
  },
  create(context) {
    const self = realpathSync(context.filename);
    /** @param {any} node */
    const check = (node) => {
      if (!node.source) return;
      const typeOnly =
        node.importKind === 'type' ||
        node.exportKind === 'type' ||
        (node.type === 'ImportDeclaration' && node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
      if (!typeOnly) return;
      const target = resolveImport(String(node.source.value), self);
      if (target && (target === self || reaches(target, self))) {
        context.report({ node, messageId: 'cycle', data: { specifier: String(node.source.value) } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default { rules: { 'no-type-import-cycle': rule } };
