// Splitting long replies at a platform's length limit; shared by the chat adapters.

import { graphemeBoundary } from '../../../src/domain/text.ts';

const isHighSurrogate = (text: string, cut: number): boolean => {
  const code = text.charCodeAt(cut - 1);
  return code >= 0xd800 && code <= 0xdbff;
};

/**
 * Cuts text into parts of at most `max` UTF-16 units, preferring a line break, then a space, in the second half
 * of the window; the break character is dropped, so joining the parts with it gives the text back. A hard cut
 * falls on a grapheme boundary (never inside an emoji, a flag or a letter with its accents) and moves back while
 * `unsafeCut` says it would split something of the platform's (an HTML entity, a markdown escape).
 */
export function splitText(
  text: string,
  max: number,
  unsafeCut: (text: string, cut: number) => boolean = () => false,
): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = window.lastIndexOf('\n');
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut >= max / 2) {
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
      continue;
    }
    cut = graphemeBoundary(rest, max);
    while (cut > 1 && unsafeCut(rest, cut)) cut = graphemeBoundary(rest, cut - 1);
    // A single character longer than the whole limit (a pathological cluster): cut it between code points.
    if (cut === 0) for (cut = max; cut > 1 && isHighSurrogate(rest, cut);) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}
