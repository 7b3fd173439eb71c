// The review page's keyboard and evidence highlighting. No build step; HTMX does the requests.
(function () {
  "use strict";
  const flash = () => document.getElementById("flash");

  function showError(text) {
    const box = flash();
    if (!box) return;
    box.textContent = text || "Handlingen mislykkedes.";
    box.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", (e) => showError(e.detail.xhr.responseText));
  document.addEventListener("htmx:sendError", () => showError("Ingen forbindelse til serveren."));

  const textEl = document.getElementById("note-text");
  const source = document.getElementById("note-json");
  if (!textEl || !source) return;
  // Offsets are Python string indices (code points); Array.from splits by code point too.
  const chars = Array.from(JSON.parse(source.textContent));
  let current = null;
  let advance = false;
  let adding = false;

  const cards = () => Array.from(document.querySelectorAll("#panel .card"));
  const cardFor = (code) => cards().find((c) => c.dataset.code === code);

  function highlight(spans) {
    const parts = [];
    let pos = 0;
    for (const [start, end] of spans.slice().sort((a, b) => a[0] - b[0])) {
      if (start < pos) continue;
      parts.push(chars.slice(pos, start).join(""));
      const mark = document.createElement("mark");
      mark.textContent = chars.slice(start, end).join("");
      parts.push(mark);
      pos = end;
    }
    parts.push(chars.slice(pos).join(""));
    textEl.replaceChildren(...parts);
    const first = textEl.querySelector("mark");
    if (first) first.scrollIntoView({ block: "center" });
  }

  function focusCard(card) {
    if (!card) return;
    for (const c of cards()) c.classList.toggle("focused", c === card);
    current = card.dataset.code;
    card.scrollIntoView({ block: "nearest" });
    highlight(JSON.parse(card.dataset.evidence || "[]"));
  }

  function move(step) {
    const all = cards();
    if (!all.length) return;
    const i = all.findIndex((c) => c.dataset.code === current);
    focusCard(all[Math.min(all.length - 1, Math.max(0, i < 0 ? 0 : i + step))]);
  }

  function press(value) {
    const card = cardFor(current);
    const button = card && card.querySelector(`button[value="${value}"]`);
    if (button) button.click();
  }

  document.addEventListener("click", (e) => {
    const card = e.target.closest("#panel .card");
    if (card && card.dataset.code !== current) focusCard(card);
    if (e.target.closest("#panel button[name='decision']")) advance = true;
    if (e.target.closest(".add-code")) adding = true;
  });

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.matches("input, textarea, select")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    switch (e.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "g": press("accept"); break;
      case "a": press("reject"); break;
      case "/": document.getElementById("concept-search")?.focus(); break;
      case "b": { const b = document.getElementById("confirm"); if (b && !b.disabled) b.click(); break; }
      default: return;
    }
    e.preventDefault();
  });

  document.addEventListener("htmx:afterSettle", (e) => {
    if (!document.getElementById("panel") || e.detail.target.id === "search-results") return;
    let card = cardFor(current);
    if (adding) {
      const search = document.getElementById("concept-search");
      if (search) search.value = "";
      document.getElementById("search-results")?.replaceChildren();
    } else if (advance && card) {
      // After a decision, go on to the next suggestion that has none.
      const all = cards();
      const after = all.slice(all.indexOf(card) + 1);
      card = after.find((c) => c.classList.contains("open")) || all.find((c) => c.classList.contains("open")) || card;
    }
    advance = adding = false;
    focusCard(card || cards()[0]);
  });

  focusCard(cards().find((c) => c.classList.contains("open")) || cards()[0]);
})();
