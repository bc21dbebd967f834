/** An event type pattern: exact (`customer.created`), or with `*` wildcards (`customer.*`). */
export function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (t) => re.test(t);
}

/** Matches when any pattern matches (no patterns: everything). */
export function anyTypeMatcher(patterns: readonly string[] | undefined): (type: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const matchers = patterns.map(typeMatcher);
  return (t) => matchers.some((m) => m(t));
}
