// Reading an operator-edited YAML file (policies, packages): the document with its line counter, or one sentence
// naming the file and line of a syntax error; and the line a field starts on, for validation errors.

import { isMap, LineCounter, parseDocument, type Document } from 'yaml';

export type YamlRead = { ok: true; doc: Document; counter: LineCounter } | { ok: false; error: string };

export function readYaml(text: string, display: string): YamlRead {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  const yamlError = doc.errors[0];
  if (!yamlError) return { ok: true, doc, counter };
  const line = yamlError.linePos?.[0]?.line;
  const what = yamlError.message
    .replace(/ at line \d+, column \d+[\s\S]*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { ok: false, error: `${display}${line === undefined ? '' : ` line ${line}`} is not valid YAML: ${what}.` };
}

/** The line where the deepest field on `path` that exists in the document starts (its key, for a map entry). */
export function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 1; n--) {
    const parent: unknown = n > 1 ? doc.getIn(path.slice(0, n - 1) as unknown[], true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path[n - 1]);
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
