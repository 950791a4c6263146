"""The studio: a page in the browser where a teacher sees every line of a practice, hears it,
records or redoes it, imports a whole reading and builds the practice, without a terminal
(`audio-builder studio`).

- `practices`: what the pages show, read from the project (the practices, their lines and how
  each line's take stands), and the work they start (keeping a recorded take, speaking a line,
  building, importing), each through the same functions as the command line.
- `pages`: the HTML, written here (no template engine, no front-end library); `static/` holds
  the one style sheet and the one script.
- `jobs`: long work (a build, an import) run in a background thread, its progress asked for.
- `app`: the routes, on the shared keyed web layer (`web.server`).

May import: anything of the package but the command line (`cli`).
"""
