/** The top bar of both pages. */
import type { ComponentChildren } from 'preact';

export function Header({ children }: { children?: ComponentChildren }) {
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/">
        linkhop
      </a>
      <nav aria-label="Main">
        <a href="/">Shorten</a>
        <a href="/app">Your links</a>
        <a href="/docs">API</a>
        {children}
      </nav>
    </header>
  );
}
