// Small DOM helpers. Everything the console shows goes in as elements and text nodes, never as
// HTML: names and details come from Zoom and from participants, and the page's CSP
// (require-trusted-types-for 'script') refuses HTML strings anyway. Nothing sets inline styles.

export const $ = (id) => document.getElementById(id);

// el creates an element: attrs holds attributes, with class for the class name and data-* as
// they are; children are nodes or strings (text).
export function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

const svgNS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(svgNS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

// setText changes a node's text only when it differs, so that a poll that changed nothing
// neither re-announces live regions nor resets a selection.
export function setText(node, text) {
  const t = String(text);
  if (node.textContent !== t) node.textContent = t;
}

export function show(node, visible) {
  if (node.hidden === visible) node.hidden = !visible;
}
