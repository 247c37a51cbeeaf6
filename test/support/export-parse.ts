// Reads /export files back for tests: the memories' ids and texts from the Markdown, and CSV rows (RFC 4180:
// quoted cells, doubled quotes, CRLF), so a test can compare a file a channel received with what the store holds.

/** Each `## #<id> · …` section's id and the paragraph under it (the memory's text). */
export function memoriesFromMarkdown(markdown: string): { id: string; text: string }[] {
  const out: { id: string; text: string }[] = [];
  const lines = markdown.split('\n');
  for (const [i, line] of lines.entries()) {
    const id = /^## #(\S+) · /.exec(line)?.[1];
    if (!id) continue;
    const paragraph: string[] = [];
    for (let j = i + 2; j < lines.length && lines[j] !== ''; j++) paragraph.push(lines[j] ?? '');
    out.push({ id, text: paragraph.join('\n') });
  }
  return out;
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += c;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, cell]);
      row = [];
      cell = '';
      i++;
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
