/** Text from pairs, docs and data shown in Markdown as text: never a link, HTML, a command or an icon. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!<>|$]/g, '\\$&');
}
