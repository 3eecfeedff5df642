"""The advocate desk's web side: routes, its pages (static HTML/JS/CSS, no CDN), canned texts."""
