/**
 * Escapes text for HTML element content and quoted attribute values: the
 * one escaping of every page the plugin writes (the PyPI simple pages of
 * the view and of export bundles), so upstream names never become markup.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
