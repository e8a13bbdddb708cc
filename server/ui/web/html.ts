/**
 * @module server/ui/web/html
 * The console's view layer: preact (a 4 KB React-compatible renderer) with htm tagged templates
 * (JSX-like markup without a build step). Both are served from node_modules by tspilot itself.
 * Text is always inserted as text nodes: nothing here sets innerHTML.
 */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
