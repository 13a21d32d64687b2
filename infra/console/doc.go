// Package console holds the admin console's browser tests: headless Chromium
// (Debian's chromium package; `make chromium` installs it) driven through
// chromedp against the running local stack, with axe-core (pinned in axe/,
// installed by make into .local/axe) injected into every page. The console
// itself is shared/console.
package console
