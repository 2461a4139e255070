/** Plain-text layout shared by the CLI's help and the static SVG charts. */

/** Wraps `text` to lines of at most `width` characters, words kept whole (a longer word gets a line of its own); each '\n' starts a new line. */
export function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}
