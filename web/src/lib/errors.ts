/** The API's error bodies ({"detail": string | field errors}) as text a person reads. */

/** One sentence from a {"detail"} body: a string as is, a list of field errors joined. */
export function describeDetail(detail: unknown, status: number): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d: { loc?: unknown[]; msg?: string }) => {
      const field = Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '';
      return field ? `${field}: ${d.msg ?? 'invalid'}` : (d.msg ?? 'invalid');
    });
    if (parts.length) return parts.join('; ');
  }
  return `Request failed (HTTP ${status})`;
}
