// The learner page's one script (docs/learner-page.md): sign-in, the catalogue, the player, progress, and the
// outbox that carries progress and analytics events to the API, surviving reloads and offline spells.
// Plain JavaScript, no build step; everything it knows comes from the public API on this origin.

const page = document.body.dataset;
const API = page.api;
const TOKEN_KEY = "frames.token";
const OUTBOX_PREFIX = "frames.outbox.";
const EVENTS_PER_BATCH = 100;
const RETRY_MS = 5000;
const $ = (id) => document.getElementById(id);

// A page framed by an LMS on another site may be denied storage (third-party storage blocking): then the token
// and the outbox live in memory for the page's lifetime, and the LMS posts the token again on the next load.
function storage(name) {
  try {
    const store = window[name];
    store.getItem(TOKEN_KEY);
    return store;
  } catch {
    const kept = new Map();
    return { getItem: (k) => (kept.has(k) ? kept.get(k) : null), setItem: (k, v) => kept.set(k, String(v)), removeItem: (k) => kept.delete(k) };
  }
}
const session = storage("sessionStorage");
const local = storage("localStorage");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ""));
  return node;
}

const notice = (text) => { $("notice").textContent = text; };
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

// ---- Sign-in: the development picker, or the LMS's hand-off (fragment or postMessage), never the query string.

function studentOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)))).sub;
  } catch {
    return null;
  }
}

function takeHandOff() {
  const query = new URLSearchParams(location.search);
  const refused = query.has("token");
  if (refused) {
    // A token in a URL lands in server logs, history and Referer headers: refuse it, and take it off the address.
    query.delete("token");
    history.replaceState(null, "", location.pathname + (query.size ? `?${query}` : "") + location.hash);
    notice("A token in the address is ignored. The LMS hands the page its token in the fragment (#token=…) or by postMessage.");
  }
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    session.setItem(TOKEN_KEY, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
    if (!refused) notice("");
  }
}

window.addEventListener("message", (event) => {
  if (!page.lmsOrigin || event.origin !== page.lmsOrigin) return;
  const data = event.data;
  if (data && data.type === "frames:token" && typeof data.token === "string") {
    session.setItem(TOKEN_KEY, data.token);
    start();
  }
});

function signOut(message) {
  session.removeItem(TOKEN_KEY);
  $("content").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  if (message) notice(message);
  const input = $("student-id");
  if (input) input.focus();
}

$("sign-out").addEventListener("click", () => signOut("You are signed out."));

const devForm = $("dev-sign-in");
if (devForm) {
  devForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(`${page.learn}dev-token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ student_id: $("student-id").value.trim() }),
    });
    const answer = await response.json();
    if (!response.ok) return notice(answer.message);
    session.setItem(TOKEN_KEY, answer.token);
    notice("");
    start();
  });
}

// ---- The API: bearer token, JSON, problems as exceptions carrying the API's own message.

class ApiProblem extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the server answered ${status}`);
    this.status = status;
  }
}

async function api(path, method = "GET", body = undefined) {
  const headers = { Authorization: `Bearer ${session.getItem(TOKEN_KEY)}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) signOut(answer && answer.message);
  if (!response.ok) throw new ApiProblem(response.status, answer);
  return answer;
}

async function allModules() {
  const modules = [];
  for (let url = `${API}/modules?limit=200`; url; ) {
    const found = await api(url);
    modules.push(...found.modules);
    url = found.next;
  }
  return modules;
}

// ---- The outbox: progress writes and events, kept in localStorage until the API has acknowledged them.

class Outbox {
  constructor(student) {
    this.key = OUTBOX_PREFIX + student;
    this.sending = null;
  }

  items() {
    try {
      return JSON.parse(local.getItem(this.key) || "[]");
    } catch {
      return [];
    }
  }

  save(items) {
    local.setItem(this.key, JSON.stringify(items));
    $("queue-status").textContent = items.length ? `${items.length} update(s) waiting to be sent${navigator.onLine ? "" : " (offline)"}` : "";
  }

  add(item) {
    this.save([...this.items(), { id: crypto.randomUUID(), ...item }]);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 250);
  }

  drop(ids) {
    this.save(this.items().filter((item) => !ids.has(item.id)));
  }

  flush() {
    // One flush at a time per tab; a second tab sending the same events is harmless (the API keeps each id once).
    if (!this.sending) this.sending = this.send().finally(() => { this.sending = null; });
    return this.sending;
  }

  async send() {
    // Signed out (a 401 clears the token), the items wait for the student's next sign-in.
    while (navigator.onLine && session.getItem(TOKEN_KEY)) {
      const items = this.items();
      if (!items.length) return;
      try {
        const progress = items.find((item) => item.kind === "progress");
        if (progress) {
          await this.sendProgress(progress);
          continue;
        }
        const batch = items.slice(0, EVENTS_PER_BATCH);
        const answer = await api(`${API}/events`, "POST", { events: batch.map((item) => item.event) });
        if (answer.rejected.length) console.warn("events refused by the API", answer.rejected);
        this.drop(new Set(batch.map((item) => item.id)));
      } catch (problem) {
        if (problem instanceof ApiProblem && problem.status < 500 && problem.status !== 401) {
          this.drop(new Set(items.slice(0, 1).map((item) => item.id)));
          continue;
        }
        setTimeout(() => this.flush(), RETRY_MS); // offline, server down or signed out: try again later
        return;
      }
    }
  }

  async sendProgress(item) {
    try {
      await api(`${API}/me/modules/${item.module_id}/sections/${encodeURIComponent(item.section_id)}/progress`, "PUT", { state: item.state });
    } catch (problem) {
      // A section removed by a deploy (404) or a locked module (409) will never take it: drop it, say so.
      if (problem instanceof ApiProblem && problem.status < 500 && problem.status !== 401) notice(problem.message);
      else throw problem;
    }
    this.drop(new Set([item.id]));
  }
}

let outbox = null;
window.addEventListener("online", () => outbox && outbox.flush());
window.addEventListener("offline", () => outbox && outbox.save(outbox.items()));
document.addEventListener("visibilitychange", () => document.hidden && outbox && outbox.flush());

// ---- The catalogue: assigned modules first (soonest due first), then the rest.

const STATE_WORDS = { locked: "Locked", available: "Not started", started: "In progress", completed: "Completed" };

function moduleCard(module, titles) {
  const heading = el("h3");
  if (module.state === "locked") heading.textContent = module.title;
  else heading.append(el("a", { href: `${page.learn}modules/${module.module_id}`, text: module.title }));
  const bar = `percent-${module.module_id}`;
  const card = el("li", { "data-module-id": module.module_id }, heading,
    el("p", {}, el("span", { class: `state state-${module.state}`, text: STATE_WORDS[module.state] }),
      module.estimated_minutes ? ` · about ${module.estimated_minutes} min` : "",
      module.due_at ? ` · due ${when(module.due_at)}` : ""),
    module.description ? el("p", { class: "muted", text: module.description }) : null,
    el("label", { for: bar, text: `${module.percent}% complete ` }),
    el("progress", { id: bar, max: 100, value: module.percent }));
  if (module.state === "locked") {
    const needed = el("p", { class: "locked" }, "Locked until you complete ");
    module.missing_prerequisites.forEach((id, i) => {
      needed.append(i ? ", " : "", el("a", { href: `${page.learn}modules/${id}`, text: titles[id] || id }));
    });
    card.append(needed);
  }
  return card;
}

async function showCatalogue() {
  const modules = await allModules();
  const titles = Object.fromEntries(modules.map((m) => [m.module_id, m.title]));
  const byTitle = (a, b) => a.title.localeCompare(b.title);
  const assigned = modules.filter((m) => m.assigned)
    .sort((a, b) => (a.due_at || "9999").localeCompare(b.due_at || "9999") || byTitle(a, b));
  const others = modules.filter((m) => !m.assigned).sort(byTitle);
  $("assigned-modules").replaceChildren(...assigned.map((m) => moduleCard(m, titles)));
  $("other-modules").replaceChildren(...others.map((m) => moduleCard(m, titles)));
  $("assigned-empty").hidden = assigned.length > 0;
  $("other-empty").hidden = others.length > 0;
}

// ---- My progress: every module started, section by section.

const SECTION_WORDS = { not_started: "not started", started: "started", completed: "completed" };

async function showProgress() {
  const touched = (await allModules()).filter((m) => m.state === "started" || m.state === "completed");
  const all = await Promise.all(touched.map((m) => api(`${API}/me/modules/${m.module_id}/progress`)));
  $("progress-list").replaceChildren(...touched.map((module, i) => {
    const bar = `progress-${module.module_id}`;
    return el("section", { class: "card", "data-module-id": module.module_id },
      el("h2", {}, el("a", { href: `${page.learn}modules/${module.module_id}`, text: module.title })),
      el("label", { for: bar, text: `${all[i].percent}% complete ` }), el("progress", { id: bar, max: 100, value: all[i].percent }),
      el("ol", {}, ...all[i].sections.map((s) => el("li", {
        text: `${s.title}: ${SECTION_WORDS[s.state]}${s.changed_since_completion ? " (changed since you completed it)" : ""}`,
      }))));
  }));
  $("progress-empty").hidden = touched.length > 0;
}

// ---- The player: one section at a time.

const player = { module: null, sections: [], progress: {}, html: new Map(), index: 0, shownAt: 0, attempts: {} };
const GRADED = new Set(["quiz", "interactive"]);

function record(verb, section, result = undefined) {
  outbox.add({
    kind: "event",
    event: {
      id: crypto.randomUUID(),
      verb,
      object: { module_id: player.module.module_id, section_id: section.section_id, revision: player.module.revision },
      result,
      context: { platform: "frames-learner" },
      timestamp: new Date().toISOString(),
    },
  });
}

function saveProgress(section, state) {
  const known = player.progress[section.section_id] || { state: "not_started" };
  if (state === "started" && known.state !== "not_started") return;
  if (state === "completed" && known.state === "completed" && !known.changed_since_completion) return;
  outbox.add({ kind: "progress", module_id: player.module.module_id, section_id: section.section_id, state });
  player.progress[section.section_id] = { ...known, state, changed_since_completion: false };
  if (state === "completed") record("completed", section);
  markOutline();
}

function mediaOf(section) {
  if (section.media && section.media.url) return section.media;
  return section.media_url ? { url: section.media_url } : null;
}

function picture(media, fallbackAlt) {
  const img = el("img", { src: media.url, alt: media.alt || fallbackAlt, width: media.width, height: media.height, decoding: "async" });
  const variants = (media.variants || []).filter((v) => v.url && v.width);
  if (typeof media.placeholder === "string" && media.placeholder.startsWith("data:image/")) {
    img.style.backgroundImage = `url("${media.placeholder}")`;
    img.classList.add("placeholder");
  }
  if (!variants.length) return img;
  const sizes = "(min-width: 64rem) 46rem, 100vw";
  const srcset = (list) => list.map((v) => `${v.url} ${v.width}w`).join(", ");
  const same = variants.filter((v) => !v.type || v.type === media.type);
  if (same.length) img.setAttribute("srcset", srcset(same));
  img.setAttribute("sizes", sizes);
  const types = [...new Set(variants.filter((v) => v.type && v.type !== media.type).map((v) => v.type))];
  if (!types.length) return img;
  return el("picture", {}, ...types.map((type) => el("source", { type, sizes, srcset: srcset(variants.filter((v) => v.type === type)) })), img);
}

function video(media, title) {
  const poster = media.poster && typeof media.poster === "object" ? media.poster.url : media.poster;
  return el("video", { controls: true, preload: "none", poster, width: media.width, height: media.height, "aria-label": media.alt || title },
    el("source", { src: media.url, type: media.type }),
    el("a", { href: media.url, text: "Download the video" }));
}

function markdown(section) {
  const html = player.html.get(section.section_id);
  if (!html) return null;
  const box = el("div", { class: "prose" });
  box.innerHTML = html; // rendered by the API with the preview's safe Markdown policy (no raw HTML, safe links)
  for (const img of box.querySelectorAll("img")) {
    // The runtime lists a section's stored pictures in `images`: their size and variants, for no layout shift.
    const media = (section.images || []).find((m) => m.url === img.getAttribute("src"));
    if (media) img.replaceWith(picture({ ...media, alt: img.alt || media.alt }, img.alt));
  }
  return box;
}

function interactive(section, body) {
  const content = section.content;
  const media = mediaOf(section);
  // The student view says how many hotspots count (hotspots_clicked, or required_count when some are required).
  const criteria = content.completion_criteria || {};
  const needed = criteria.hotspots_clicked || criteria.required_count || content.hotspots.length;
  const found = new Set();
  let passed = false;
  const status = el("p", { role: "status", text: `Found 0 of ${needed}.` });
  const list = el("ul", { class: "found" });
  const result = el("p", { class: "result", role: "status" });
  if (content.instruction) body.append(el("p", { text: content.instruction }));
  body.append(el("p", { class: "muted", text: "Use the mouse, or Tab to each marker and press Enter." }));
  const figure = el("div", { class: "hotspot-image" });
  const img = media ? picture(media, section.title) : null;
  if (img) figure.append(img);
  const buttons = content.hotspots.map((spot, i) => {
    const button = el("button", { type: "button", class: "hotspot", "aria-pressed": "false", "aria-label": spot.label, text: String(i + 1), "data-hotspot-id": spot.id });
    button.addEventListener("click", async () => {
      if (found.has(spot.id)) return;
      found.add(spot.id);
      button.setAttribute("aria-pressed", "true");
      list.append(el("li", { text: spot.description ? `${spot.label}: ${spot.description}` : spot.label }));
      status.textContent = `Found ${found.size} of ${needed}.`;
      if (found.size >= needed && !passed) {
        const graded = await submit(section, { hotspots: [...found] }, result);
        passed = Boolean(graded && graded.passed);
      }
    });
    return button;
  });
  figure.append(...buttons);
  const place = (width, height) => buttons.forEach((button, i) => {
    button.style.left = `${(content.hotspots[i].x / width) * 100}%`;
    button.style.top = `${(content.hotspots[i].y / height) * 100}%`;
  });
  const image = img && (img.tagName === "IMG" ? img : img.querySelector("img"));
  if (media && media.width && media.height) place(media.width, media.height);
  else if (image) image.addEventListener("load", () => place(image.naturalWidth, image.naturalHeight));
  body.append(figure, status, list, result);
}

function quiz(section, body) {
  const content = section.content;
  if (content.instruction) body.append(el("p", { text: content.instruction }));
  const form = el("form", { novalidate: true });
  const feedback = {};
  content.questions.forEach((question, q) => {
    const set = el("fieldset", { "data-question-id": question.question_id }, el("legend", { text: `${q + 1}. ${question.prompt}` }));
    question.choices.forEach((choice, c) => {
      const id = `choice-${section.section_id}-${q}-${c}`;
      set.append(el("label", { class: "choice", for: id }, el("input", { type: "radio", id, name: question.question_id, value: c }), choice));
    });
    feedback[question.question_id] = el("div", { class: "feedback" });
    set.append(feedback[question.question_id]);
    form.append(set);
  });
  const result = el("p", { class: "result", role: "status", tabindex: "-1" });
  form.append(el("button", { type: "submit", text: "Submit answers" }), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = {};
    for (const [q, question] of content.questions.entries()) {
      const checked = [...form.elements].find((input) => input.name === question.question_id && input.checked);
      if (!checked) {
        result.textContent = `Question ${q + 1} has no answer yet.`;
        return;
      }
      answers[question.question_id] = Number(checked.value);
    }
    const graded = await submit(section, { answers }, result);
    if (!graded) return;
    for (const verdict of graded.questions || []) {
      const box = feedback[verdict.question_id];
      if (!box) continue;
      box.replaceChildren(el("p", { class: `verdict verdict-${verdict.correct ? "right" : "wrong"}`, text: verdict.correct ? "Correct." : "Not quite." }),
        verdict.explanation ? el("p", { text: verdict.explanation }) : null);
    }
    result.focus();
  });
  body.append(form);
}

async function submit(section, answer, result) {
  // The server grades; the same client_attempt_id is sent again after a network failure, so a retry counts once.
  if (!navigator.onLine) {
    result.textContent = "You are offline: submit again once you are back online.";
    return null;
  }
  const key = section.section_id;
  player.attempts[key] = player.attempts[key] || crypto.randomUUID();
  const body = { client_attempt_id: player.attempts[key], revision: player.module.revision, ...answer };
  try {
    const graded = await api(`${API}/me/modules/${player.module.module_id}/sections/${encodeURIComponent(key)}/attempts`, "POST", body);
    delete player.attempts[key];
    result.textContent = graded.passed
      ? `Passed with ${graded.score}%.`
      : `Not passed yet: ${graded.score}%. Change your answers and submit again.`;
    if (graded.passed) {
      player.progress[key] = { ...(player.progress[key] || {}), state: "completed", changed_since_completion: false };
      markOutline();
    }
    return graded;
  } catch (problem) {
    if (problem instanceof ApiProblem) delete player.attempts[key];
    result.textContent = problem instanceof ApiProblem ? problem.message : "The answers could not be sent; try again.";
    return null;
  }
}

function sectionBody(section) {
  const body = el("div");
  const media = mediaOf(section);
  if (section.section_type === "interactive") interactive(section, body);
  else if (section.section_type === "quiz") {
    if (media) body.append(picture(media, section.title));
    quiz(section, body);
  } else if (section.section_type === "video" && media) body.append(el("figure", {}, video(media, section.title), el("figcaption", {}, markdown(section))));
  else if (section.section_type === "image" && media) body.append(el("figure", {}, picture(media, section.title), el("figcaption", {}, markdown(section))));
  else body.append(markdown(section) || "", media ? picture(media, section.title) : "");
  return body;
}

function markOutline() {
  player.sections.forEach((section, i) => {
    const button = $("section-list").children[i].firstChild;
    const known = player.progress[section.section_id] || {};
    button.classList.toggle("done", known.state === "completed");
    button.classList.toggle("changed", Boolean(known.changed_since_completion));
    if (i === player.index) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  });
}

function leave(finished) {
  // Moving on with Next completes a section that has no grade; jumping elsewhere in the list does not.
  const section = player.sections[player.index];
  const seconds = Math.round((Date.now() - player.shownAt) / 1000);
  record("progressed", section, { duration: `PT${seconds}S` });
  if (finished && !GRADED.has(section.section_type)) saveProgress(section, "completed");
}

function show(index) {
  player.index = index;
  player.shownAt = Date.now();
  const section = player.sections[index];
  const known = player.progress[section.section_id] || {};
  $("section-title").textContent = section.title;
  $("section-meta").textContent = `Section ${index + 1} of ${player.sections.length}` +
    (section.duration_seconds ? ` · about ${Math.max(1, Math.round(section.duration_seconds / 60))} min` : "");
  const banner = $("changed-banner");
  banner.hidden = !known.changed_since_completion;
  banner.textContent = known.changed_since_completion
    ? `This section changed since you completed it${known.completed_at ? ` on ${when(known.completed_at)}` : ""}. It stays completed; have a look at what is new.`
    : "";
  $("section-body").replaceChildren(sectionBody(section));
  $("back").disabled = index === 0;
  $("next").textContent = index === player.sections.length - 1 ? "Finish" : "Next";
  $("step-count").textContent = `${index + 1} / ${player.sections.length}`;
  markOutline();
  record("viewed", section);
  if (!GRADED.has(section.section_type)) saveProgress(section, "started");
}

async function showPlayer() {
  const id = page.moduleId;
  const [module, progress] = await Promise.all([api(`${API}/modules/${id}`), api(`${API}/me/modules/${id}/progress`)]);
  document.title = `${module.title} · FRAMES`;
  player.module = module;
  player.sections = module.sections;
  player.progress = Object.fromEntries(progress.sections.map((s) => [s.section_id, s]));
  const prose = module.sections.filter((s) => typeof s.content === "string" && s.content);
  if (prose.length) {
    const rendered = await api(`${API}/markdown`, "POST", { texts: prose.map((s) => s.content) });
    prose.forEach((s, i) => player.html.set(s.section_id, rendered.html[i]));
  }
  $("module-title").textContent = module.title;
  if (progress.state === "locked") notice(`This module is locked until you complete ${progress.missing_prerequisites.join(", ")}.`);
  $("section-list").replaceChildren(...module.sections.map((section, i) => el("li", {},
    el("button", { type: "button", class: "link-step", text: section.title, "data-section-id": section.section_id }))));
  [...$("section-list").querySelectorAll("button")].forEach((button, i) => button.addEventListener("click", () => go(i)));
  let start = module.sections.findIndex((s) => s.section_id === progress.resume_section_id);
  const resumed = start > 0;
  if (start < 0) start = 0;
  const resume = $("resume");
  resume.hidden = !resumed;
  resume.textContent = resumed ? `Resuming where you left off: ${module.sections[start].title}.` : "";
  show(start);
}

function go(index, finished = false) {
  if (index === player.index) return;
  leave(finished);
  $("resume").hidden = true;
  show(index);
  $("section-title").focus();
}

$("back") && $("back").addEventListener("click", () => player.index > 0 && go(player.index - 1));
$("next") && $("next").addEventListener("click", () => {
  if (player.index < player.sections.length - 1) return go(player.index + 1, true);
  leave(true);
  outbox.flush().then(() => { location.href = `${page.learn}progress`; });
});

// ---- Start: the token, the outbox, then the page's view.

const VIEWS = { catalogue: showCatalogue, progress: showProgress, player: showPlayer };

async function start() {
  const token = session.getItem(TOKEN_KEY);
  const student = token && studentOf(token);
  if (!student) return signOut(page.development === "true" ? "" : null);
  $("sign-in").hidden = true;
  $("who").hidden = false;
  $("who-name").textContent = `Signed in as ${student} `;
  outbox = new Outbox(student);
  outbox.save(outbox.items());
  outbox.flush();
  $("content").hidden = false;
  try {
    await VIEWS[page.page]();
  } catch (problem) {
    notice(problem instanceof ApiProblem ? problem.message : "The modules API could not be reached; check your connection and reload.");
  }
}

window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("token")) {
    takeHandOff();
    start();
  }
});

takeHandOff();
if (window.parent !== window && page.lmsOrigin) window.parent.postMessage({ type: "frames:ready" }, page.lmsOrigin);
start();
