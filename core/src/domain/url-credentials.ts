/**
 * Credentials inside a URL (`http://user:secret@host/`, WHATWG URL userinfo): the values a door
 * masks in its log and the URL with them removed, for every message that names the URL.
 */

/**
 * The password of `url` as written and decoded, for a log mask; `[]` when none or not a URL. The
 * user name is not masked: a short one (`probe`) would blank ordinary words in every log line.
 */
export function urlCredentials(url: string): string[] {
  let parsed: URL;
  try { parsed = new URL(url.trim()); } catch { return []; }
  if (!parsed.password) return [];
  return [...new Set([parsed.password, safeDecode(parsed.password)])];
}

/** `url` with any user name and password replaced by `***` (`http://***:***@host/`); text that is no URL is returned as is. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try { parsed = new URL(url); } catch { return url; }
  if (!parsed.username && !parsed.password) return url;
  if (parsed.username) parsed.username = '***';
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function safeDecode(value: string): string {
  try { return decodeURIComponent(value); } catch { return value; }
}
