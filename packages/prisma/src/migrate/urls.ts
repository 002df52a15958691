/** `user@host:port/database` of a URL, never its password. */
export function describeUrl(url: string): string {
  if (!URL.canParse(url)) return 'an unparsable URL';
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.slice(1)) || '(default database)';
  return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.hostname || 'localhost'}:${u.port || 5432}/${database}`;
}
