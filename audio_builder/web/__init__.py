"""The web layer: small pages and JSON served to a browser on this machine or, when asked, on
the local network (the phone remote of `play --remote`, the studio, `serve`).

Built on Starlette (routing, requests, responses) and uvicorn (the server); nothing here knows
what a page shows. `server` gives three things:

- `keyed_app(routes, key=...)`: a Starlette app whose every route needs the key, as `?key=K`
  in the address or an `X-Key` header (with `key_in_path=True` also as the address's first
  folder, `/K/page.html`, for a site of relative links), compared in constant time; without
  it, 403. It answers
  only loopback clients, or loopback and private-network clients (`Reach.PRIVATE`), and
  refuses a request body over `max_body` bytes (413).
- `WebServer(app, reach=...)`: the app run by uvicorn in a background thread; `start()` binds
  (loopback only unless `Reach.PRIVATE` asks for every address of this machine), `url()` and
  `lan_url()` give the addresses to open, `stop()` shuts it down cleanly. Also a context
  manager. A client has 10 s to send a request's head; an idle connection is then closed.
- `new_key()`: a fresh random key (URL-safe, 128 bits or more).

May import: the core (`errors`, `model`, `durations`, `files`) and nothing else of the package.
"""
