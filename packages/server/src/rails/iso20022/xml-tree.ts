import { SaxesParser, type SaxesTagNS } from 'saxes';
import { refuse } from './problems.js';

/** Bounds on a file we read: a bank file of a day's payouts is megabytes, never hundreds. */
export const bank_file_chars_max = 64 * 1024 * 1024;
const element_depth_max = 32;

/** One element of a parsed document, with its namespace resolved and its path for error messages. */
export interface XmlElement {
  readonly local: string;
  readonly uri: string;
  readonly path: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * Parses a whole document with saxes, a conforming XML parser: any well-formedness error is refused
 * with its line and column. A DOCTYPE is refused outright, so no entity of the file's own can be
 * defined, let alone expanded (saxes itself only ever expands the five predefined entities and
 * character references).
 */
export function parseXml(xml: string): XmlElement {
  if (xml.length > bank_file_chars_max)
    refuse('too_large', `The file is larger than ${bank_file_chars_max} characters.`);
  const parser = new SaxesParser({ xmlns: true, position: true });
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('doctype', () => refuse('doctype_refused', 'The file has a DOCTYPE; bank files must not.'));
  parser.on('opentag', (tag) => {
    const element = elementOf(tag, open.at(-1));
    if (open.length >= element_depth_max)
      refuse('malformed_xml', `Elements nest deeper than ${element_depth_max} at ${element.path}.`);
    open.push(element);
    root ??= element;
  });
  parser.on('text', (text) => appendText(open.at(-1), text));
  parser.on('cdata', (text) => appendText(open.at(-1), text));
  parser.on('closetag', () => open.pop());
  parser.on('error', (error) => refuse('malformed_xml', `The file is not well-formed XML: ${error.message}`));
  parser.write(xml).close();
  if (root === undefined) refuse('malformed_xml', 'The file has no root element.');
  return root;
}

function elementOf(tag: SaxesTagNS, parent: XmlElement | undefined): XmlElement {
  const position = parent === undefined ? 0 : parent.children.filter((c) => c.local === tag.local).length;
  const element: XmlElement = {
    local: tag.local,
    uri: tag.uri,
    path: parent === undefined ? tag.local : `${parent.path}/${tag.local}[${position}]`,
    attributes: new Map(Object.values(tag.attributes).map((attribute) => [attribute.name, attribute.value])),
    children: [],
    text: '',
  };
  parent?.children.push(element);
  return element;
}

/** Text between child elements (indentation) lands here too; values are read only from leaves. */
function appendText(element: XmlElement | undefined, text: string): void {
  if (element !== undefined) element.text += text;
}

/** The children named `local` in the parent's namespace; elements of other namespaces are ignored. */
export function childrenNamed(parent: XmlElement, local: string): XmlElement[] {
  return parent.children.filter((child) => child.local === local && child.uri === parent.uri);
}

export function optionalChild(parent: XmlElement, local: string): XmlElement | undefined {
  return childrenNamed(parent, local)[0];
}

export function requiredChild(parent: XmlElement, local: string): XmlElement {
  const child = optionalChild(parent, local);
  if (child === undefined)
    refuse('missing_element', `${parent.path} has no ${local}.`, `${parent.path}/${local}`);
  return child;
}

/** The trimmed text of a leaf element; an empty one is refused, as ISO 20022 text has minLength 1. */
export function leafText(element: XmlElement): string {
  const text = element.text.trim();
  if (text === '') refuse('invalid_value', `${element.path} is empty.`, element.path);
  return text;
}

export function requiredText(parent: XmlElement, local: string): string {
  return leafText(requiredChild(parent, local));
}

export function optionalText(parent: XmlElement, local: string): string | undefined {
  const child = optionalChild(parent, local);
  return child === undefined ? undefined : leafText(child);
}
