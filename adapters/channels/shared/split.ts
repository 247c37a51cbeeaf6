// Splitting long replies at a platform's length limit; shared by the chat adapters.

const isHighSurrogate = (text: string, cut: number): boolean => {
  const code = text.charCodeAt(cut - 1);
  return code >= 0xd800 && code <= 0xdbff;
};

/**
 * Cuts text into parts of at most `max` UTF-16 units, preferring a line break, then a space, in the second half
 * of the window; the break character is dropped, so joining the parts with it gives the text back. A hard cut
 * moves back while it would fall between the halves of a surrogate pair or where `unsafeCut` says it would
 * split something of the platform's (an HTML entity, a markdown escape).
 */
export function splitText(text: string, max: number, unsafeCut: (text: string, cut: number) => boolean = () => false): string[] {
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
    cut = max;
    while (cut > 1 && (isHighSurrogate(rest, cut) || unsafeCut(rest, cut))) cut -= 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  parts.push(rest);
  return parts;
}
