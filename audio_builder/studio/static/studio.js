// The studio's one script: Play, Record and Stop on each line, the build and its player, the
// import of a whole reading. Every request carries the page's key (the server answers nothing
// without it). No library: the browser's own fetch, Audio, MediaRecorder and Web Audio.
"use strict";

(() => {
  const main = document.getElementById("studio");
  const key = new URLSearchParams(location.search).get("key") || "";
  const practice = main && main.dataset.practice;
  if (!practice) return;                      // the list of practices needs no script
  const voice = main.dataset.voice;
  const length = main.dataset.length;
  const name = encodeURIComponent(practice);

  function address(path, extra = {}) {
    const query = new URLSearchParams();
    if (voice) query.set("voice", voice);
    for (const [field, value] of Object.entries(extra)) if (value) query.set(field, value);
    query.set("key", key);
    return `${path}?${query}`;
  }

  async function answerOf(response) {
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) return response.json();
    return {error: (await response.text()).trim() || `the studio answered ${response.status}`};
  }

  // --- the lines ------------------------------------------------------------------------------

  const rows = new Map();
  for (const row of document.querySelectorAll("li.line")) rows.set(row.dataset.number, row);

  function say(row, text) { row.querySelector(".message").textContent = text; }

  function showState(state) {
    const row = rows.get(String(state.number));
    if (!row) return;
    row.dataset.status = state.status;
    row.querySelector(".status").textContent = state.status;
    row.querySelector(".why").textContent = state.why ? `: ${state.why}` : "";
    row.querySelector(".length").textContent = state.length;
    const cutButton = row.querySelector('[data-act="cut"]');
    if (cutButton) cutButton.hidden = !state.cut;
  }

  async function refreshLines() {
    if (!voice) return;
    const response = await fetch(address(`/api/lines/${name}`));
    const answer = await answerOf(response);
    if (response.ok) answer.lines.forEach(showState);
  }

  let active = null;                        // what is playing or recording: {row, stop()}

  function busy(row, on) {
    row.querySelector('[data-act="stop"]').disabled = !on;
    for (const act of ["play", "record"]) {
      const button = row.querySelector(`[data-act="${act}"]`);
      if (button) button.disabled = on;
    }
  }

  async function stopActive() {
    if (!active) return;
    const current = active;
    active = null;
    await current.stop();
    busy(current.row, false);
  }

  async function play(row) {
    await stopActive();
    const audio = document.createElement("audio");
    audio.className = "line-audio";
    audio.preload = "auto";
    row.append(audio);
    const finish = () => {
      audio.pause();
      audio.remove();
      if (active && active.row === row) { active = null; busy(row, false); }
    };
    audio.addEventListener("playing", () => say(row, "playing"));
    audio.addEventListener("ended", () => { say(row, ""); finish(); });
    audio.addEventListener("error", () => { say(row, "this line cannot be played"); finish(); });
    active = {row, stop: () => { say(row, ""); finish(); }};
    busy(row, true);
    say(row, "loading…");
    audio.src = address(`/api/hear/${name}/${row.dataset.number}`);
    try {
      await audio.play();
    } catch (error) {
      if (error.name !== "AbortError") { say(row, `cannot play: ${error.message}`); finish(); }
    }
  }

  async function record(row) {
    await stopActive();
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      say(row, "this browser cannot record here");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        {audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
    } catch (error) {
      say(row, `no microphone: ${error.message}`);
      return;
    }
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.addEventListener("dataavailable", (event) => { if (event.data.size) chunks.push(event.data); });
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve));
    const meter = row.querySelector("meter.level");
    const listen = level(stream, meter);
    recorder.start(250);
    busy(row, true);
    say(row, "recording… press Stop when the line is said");
    active = {row, stop: async () => {
      recorder.stop();
      await stopped;
      listen.close();
      for (const track of stream.getTracks()) track.stop();
      await upload(row, new Blob(chunks, {type: recorder.mimeType || "audio/webm"}));
    }};
  }

  // The live level: the loudest sample of each animation frame, on the row's meter.
  function level(stream, meter) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let frame = 0;
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
      meter.value = Math.min(1, peak);
      frame = requestAnimationFrame(tick);
    };
    meter.hidden = false;
    tick();
    return {close: () => { cancelAnimationFrame(frame); meter.hidden = true; context.close(); }};
  }

  async function upload(row, blob) {
    say(row, "checking the take…");
    const response = await fetch(address(`/api/take/${name}/${row.dataset.number}`),
      {method: "POST", headers: {"Content-Type": blob.type || "application/octet-stream"}, body: blob});
    const answer = await answerOf(response);
    if (response.ok) {
      showState(answer);
      say(row, "kept: this is the line's take now");
    } else {
      say(row, `not kept: ${answer.error}`);
    }
  }

  const actions = {play, record, stop: () => stopActive(), cut: (row) => cut.open(row)};
  for (const row of rows.values()) {
    for (const button of row.querySelectorAll("button[data-act]")) {
      button.addEventListener("click", () => actions[button.dataset.act](row));
    }
  }

  // --- see the cut: the reading around an imported take, its edges moved, the take remade --------

  const cut = (() => {
    const panel = document.getElementById("cut-panel");
    if (!panel) return {open: () => {}};
    const canvas = document.getElementById("cut-wave");
    const readout = document.getElementById("cut-readout");
    const status = document.getElementById("cut-status");
    const SHORTEST = 200;                     // ms: the shortest take the program keeps
    let view = null;                          // what the studio said: the cut and the envelope
    let row = null;
    let edges = {start: 0, end: 0};
    let chosen = "start";
    const keep = document.getElementById("cut-keep");       // after a refusal by listening back

    const seconds = (ms) => `${Math.floor(ms / 60000)}:${((ms % 60000) / 1000).toFixed(2).padStart(5, "0")}`;
    const signed = (ms) => `${ms < 0 ? "\u2212" : "+"}${(Math.abs(ms) / 1000).toFixed(2)} s`;

    function describe() {
      const moved = [["start", edges.start - view.start], ["end", edges.end - view.end]]
        .filter(([, by]) => by).map(([edge, by]) => `${edge} ${signed(by)}`);
      readout.textContent = `New cut: ${seconds(edges.start)} to ${seconds(edges.end)} ` +
        `(${((edges.end - edges.start) / 1000).toFixed(2)} s); ` +
        (moved.length ? `moved: ${moved.join(", ")}` : "as it is") + `; moving the ${chosen}.`;
      canvas.setAttribute("aria-label", `The reading from ${seconds(view.view_start)} to ` +
        `${seconds(view.view_end)}; the take is cut from ${seconds(view.start)} to ${seconds(view.end)}`);
    }

    function draw() {
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth, height = canvas.clientHeight;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      const pen = canvas.getContext("2d");
      pen.setTransform(ratio, 0, 0, ratio, 0, 0);
      pen.fillStyle = "#fff";
      pen.fillRect(0, 0, width, height);
      const span = view.view_end - view.view_start;
      const x = (ms) => (ms - view.view_start) / span * width;
      pen.fillStyle = "#dcebf5";              // the take as it is
      pen.fillRect(x(view.start), 0, x(view.end) - x(view.start), height);
      const columns = view.low.length, middle = height / 2;
      pen.fillStyle = "#3b3b3b";
      for (let i = 0; i < columns; i++) {
        const top = middle - view.high[i] * middle, bottom = middle - view.low[i] * middle;
        pen.fillRect(i / columns * width, top, Math.max(1, width / columns), Math.max(1, bottom - top));
      }
      for (const [edge, colour] of [["start", "#1e6b32"], ["end", "#a11d1d"]]) {
        pen.fillStyle = colour;
        pen.fillRect(x(edges[edge]) - (edge === chosen ? 1.5 : 0.75), 0, edge === chosen ? 3 : 1.5, height);
      }
      describe();
    }

    function move(edge, by) {
      chosen = edge;
      const next = {...edges, [edge]: edges[edge] + by};
      next.start = Math.max(view.view_start, next.start);
      next.end = Math.min(view.view_end, next.end);
      if (next.end - next.start >= SHORTEST) edges = next;
      status.textContent = "";
      keep.hidden = true;
      draw();
    }

    async function load(number) {
      status.textContent = "reading the waveform…";
      const columns = Math.max(10, Math.min(4000, Math.round(canvas.clientWidth || 300)));
      const response = await fetch(address(`/api/cut/${name}/${number}`, {columns}));
      const answer = await answerOf(response);
      if (!response.ok) { status.textContent = `cannot show the cut: ${answer.error}`; return false; }
      view = answer;
      edges = {start: view.start, end: view.end};
      status.textContent = "";
      keep.hidden = true;
      draw();
      return true;
    }

    async function open(target) {
      if (row) row.querySelector('[data-act="cut"]').setAttribute("aria-expanded", "false");
      row = target;
      target.append(panel);
      panel.hidden = false;
      target.querySelector('[data-act="cut"]').setAttribute("aria-expanded", "true");
      document.getElementById("cut-number").textContent = target.dataset.number;
      if (await load(target.dataset.number)) canvas.focus();
    }

    function close() {
      panel.hidden = true;
      if (!row) return;
      const button = row.querySelector('[data-act="cut"]');
      button.setAttribute("aria-expanded", "false");
      button.focus();
      row = null;
    }

    async function remake(anyway = false) {
      if (!view || !row) return;
      const button = document.getElementById("cut-remake");
      button.disabled = true;
      keep.hidden = true;
      status.textContent = "making the take again and listening back…";
      const response = await fetch(address(`/api/cut/${name}/${row.dataset.number}`,
        {start: String(edges.start), end: String(edges.end), keep_flagged: anyway ? "1" : ""}),
        {method: "POST"});
      const answer = await answerOf(response);
      button.disabled = false;
      const refused = response.ok ? answer.refused : answer.error;
      if (refused) {
        status.textContent = `not made: ${refused.replace(/^not made: /, "")}`;
        keep.hidden = !(response.ok && refused.includes("listening back"));   // the take is good, but flagged
        return;
      }
      showState(answer);
      await load(row.dataset.number);
      status.textContent = `made again: ${answer.length}, ${answer.status}${answer.why ? ` (${answer.why})` : ""}`;
    }

    for (const button of panel.querySelectorAll("button[data-edge]")) {
      button.addEventListener("click", () => move(button.dataset.edge, Number(button.dataset.step)));
    }
    document.getElementById("cut-remake").addEventListener("click", () => remake());
    keep.addEventListener("click", () => remake(true));
    document.getElementById("cut-reset").addEventListener("click", () => {
      if (view) { edges = {start: view.start, end: view.end}; draw(); }
    });
    document.getElementById("cut-close").addEventListener("click", close);
    canvas.addEventListener("keydown", (event) => {
      if (!view) return;
      const step = event.shiftKey ? 200 : 20;
      const keys = {ArrowLeft: () => move(chosen, -step), ArrowRight: () => move(chosen, step),
        s: () => move("start", 0), e: () => move("end", 0), Enter: () => remake(), Escape: close};
      const act = keys[event.key.length === 1 ? event.key.toLowerCase() : event.key];
      if (act) { event.preventDefault(); act(); }
    });
    canvas.addEventListener("click", (event) => {
      if (!view) return;
      const box = canvas.getBoundingClientRect();
      const at = Math.round(view.view_start + (event.clientX - box.left) / box.width *
        (view.view_end - view.view_start));
      const edge = Math.abs(at - edges.start) <= Math.abs(at - edges.end) ? "start" : "end";
      move(edge, at - edges[edge]);
    });
    window.addEventListener("resize", () => { if (view && !panel.hidden) draw(); });
    return {open};
  })();

  // --- work that takes a while: poll until it is finished ------------------------------------

  async function follow(path, show) {
    for (;;) {
      const response = await fetch(address(path));
      const job = await answerOf(response);
      if (!response.ok) return {error: job.error};
      show(job);
      if (job.finished) return job;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  async function start(path, options) {
    const response = await fetch(address(path, options.query), {method: "POST", ...options.request});
    const answer = await answerOf(response);
    if (!response.ok) return {error: answer.error};
    return follow(path, options.show);
  }

  // --- hear the whole ---------------------------------------------------------------------------

  const buildButton = document.getElementById("build");
  const progress = document.getElementById("build-progress");
  const buildStatus = document.getElementById("build-status");
  const player = document.getElementById("player");

  buildButton.addEventListener("click", async () => {
    buildButton.disabled = true;
    progress.hidden = false;
    progress.removeAttribute("value");
    buildStatus.textContent = "building…";
    const job = await start(`/api/build/${name}`, {query: {length}, show: (state) => {
      if (state.total) { progress.max = state.total; progress.value = state.done; }
      buildStatus.textContent = `building: ${state.stage} ${state.total ? `${state.done} of ${state.total}` : ""}`;
    }});
    buildButton.disabled = false;
    progress.hidden = true;
    if (job.error) { buildStatus.textContent = `not built: ${job.error}`; return; }
    buildStatus.textContent = `built: ${job.result.length} (in ${job.seconds} s)`;
    showPlayer(job.result);
  });

  function showPlayer(built) {
    for (const old of player.querySelectorAll("track")) old.remove();
    player.src = `${built.audio}?key=${encodeURIComponent(key)}`;
    if (built.captions) {
      const track = document.createElement("track");
      Object.assign(track, {kind: "captions", label: "Captions", srclang: "en", default: true,
        src: `${built.captions}?key=${encodeURIComponent(key)}`});
      player.append(track);
      track.track.mode = "hidden";          // read for the current line, shown beside the player
      track.track.addEventListener("cuechange", () => {
        const cues = track.track.activeCues;
        document.getElementById("now-line").textContent = cues && cues.length ? cues[0].text : "…";
      });
    }
    const chapters = document.getElementById("chapters");
    chapters.replaceChildren(...built.chapters.map((chapter) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const minutes = Math.floor(chapter.start / 60);
      const seconds = String(Math.floor(chapter.start % 60)).padStart(2, "0");
      button.textContent = `${chapter.title} (${minutes}:${seconds})`;
      button.addEventListener("click", () => { player.currentTime = chapter.start; player.play(); });
      item.append(button);
      return item;
    }));
    document.getElementById("player-box").hidden = false;
  }

  // --- import a reading ----------------------------------------------------------------------

  const importButton = document.getElementById("import");
  const readingInput = document.getElementById("reading");
  const importStatus = document.getElementById("import-status");

  importButton.addEventListener("click", async () => {
    const file = readingInput.files[0];
    if (!file) { importStatus.textContent = "choose the recording of the reading first"; return; }
    importButton.disabled = true;
    importStatus.textContent = "sending the reading…";
    const job = await start(`/api/import/${name}`, {
      query: {filename: file.name},
      request: {headers: {"Content-Type": file.type || "application/octet-stream"}, body: file},
      show: (state) => { importStatus.textContent = `listening to the reading… (${state.seconds} s)`; },
    });
    importButton.disabled = false;
    if (job.error) { importStatus.textContent = `not imported: ${job.error}`; return; }
    const rowsOut = job.result.rows.map((line) => {
      const tr = document.createElement("tr");
      for (const value of [line.number, line.text, line.found || "—", line.result]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        tr.append(cell);
      }
      if (line.result.startsWith("flagged")) tr.className = "flagged";
      return tr;
    });
    const table = document.getElementById("import-table");
    table.querySelector("tbody").replaceChildren(...rowsOut);
    table.hidden = false;
    importStatus.textContent = job.result.missing
      ? `imported; ${job.result.missing} line(s) not found: read them again, or record them above`
      : "imported: every line was found";
    refreshLines();
  });

  refreshLines();
})();
