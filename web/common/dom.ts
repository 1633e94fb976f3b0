/** Small DOM helpers of the people's pages: no framework, nothing but the platform. */

/** An element the page's HTML is known to hold; a missing one is a defect of index.html. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}

export type Child = Node | string;

/**
 * An element with attributes, `text`, `on…` listeners and children. Text is always
 * set as text, never as HTML: nothing the API or a person typed becomes markup.
 */
export function el(
  tag: string,
  props: Readonly<Record<string, string | boolean | ((event: Event) => void) | undefined>> = {},
  children: readonly Child[] = [],
): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children);
  return node;
}

/** Sets a message element's text; `error` marks it as an error for sight and style. */
export function setMessage(id: string, text: string, isError = false): void {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle('error', isError);
}

/** One choice of a select list: the value sent, the words shown. */
export interface Option {
  readonly value: string;
  readonly label: string;
}

/**
 * Replaces a select list's choices, after an optional empty first choice labelled `empty`,
 * and keeps what was chosen when it is still offered (a language switch redraws lists).
 */
export function fillSelect(id: string, options: readonly Option[], empty?: string): void {
  const select = $<HTMLSelectElement>(id);
  const chosen = select.value;
  select.replaceChildren(
    ...(empty !== undefined ? [el('option', { value: '', text: empty })] : []),
    ...options.map((o) => el('option', { value: o.value, text: o.label })),
  );
  if (chosen && options.some((o) => o.value === chosen)) select.value = chosen;
}
