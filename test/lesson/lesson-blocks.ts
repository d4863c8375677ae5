// LESSON.md's command blocks, as the lesson test reads them. A block is a ```sh lesson fence; the HTML comments
// after it (unseen by a reader) hold what its output must match: `<!-- expect: /re/flags -->` for its stdout,
// `<!-- expect-server: /re/ -->` for the demo's stderr meanwhile. `<!-- lesson-server: FLAGS -->` sets the demo's
// flags for the blocks after it. A ```text fence right after is the output the reader sees; it must match too.

export interface LessonBlock {
  /** 1-based line of the fence, for messages. */
  line: number;
  script: string;
  serverFlags: string[];
  expect: RegExp[];
  expectServer: RegExp[];
  /** The output shown in the lesson, or null when none follows. */
  shown: string | null;
}

function regex(source: string, line: number): RegExp {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(source.trim());
  if (match === null) throw new Error(`LESSON.md:${line}: an expectation must be /regex/flags, got ${source}`);
  return new RegExp(match[1] as string, match[2]);
}

/** The fenced text from `lines[start]` (the opening fence) to its closing fence, and the line after it. */
function fence(lines: string[], start: number): [string, number] {
  let end = start + 1;
  while (end < lines.length && lines[end] !== '```') end++;
  return [lines.slice(start + 1, end).join('\n'), end + 1];
}

export function lessonBlocks(markdown: string): LessonBlock[] {
  const lines = markdown.split('\n');
  const blocks: LessonBlock[] = [];
  let serverFlags: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const server = /^<!-- lesson-server:(.*)-->$/.exec(lines[i] as string);
    if (server !== null) serverFlags = (server[1] as string).trim().split(/\s+/).filter(Boolean);
    if (lines[i] !== '```sh lesson') continue;
    const [script, next] = fence(lines, i);
    const block: LessonBlock = { line: i + 1, script, serverFlags, expect: [], expectServer: [], shown: null };
    let j = next;
    for (; j < lines.length; j++) {
      const comment = /^<!-- (expect|expect-server): (.*) -->$/.exec(lines[j] as string);
      if (comment === null) break;
      (comment[1] === 'expect' ? block.expect : block.expectServer).push(regex(comment[2] as string, j + 1));
    }
    if (lines[j] === '```text') [block.shown, j] = fence(lines, j);
    blocks.push(block);
    i = j - 1;
  }
  return blocks;
}
