// The menu button of narrow screens: opens and closes the main navigation.
(() => {
  const button = document.querySelector(".menu-toggle");
  const nav = document.getElementById("main-nav");
  if (!button || !nav) return;
  const set = (open) => {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  };
  button.addEventListener("click", () => set(!nav.classList.contains("open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && nav.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
})();

// The workspace switcher: choosing a workspace switches at once (the button stays for
// keyboard users moving through the options, and without this script).
(() => {
  const select = document.getElementById("workspace-select");
  if (!select) return;
  let pointer = false;
  select.addEventListener("pointerdown", () => { pointer = true; });
  select.addEventListener("keydown", () => { pointer = false; });
  select.addEventListener("change", () => { if (pointer) select.form.requestSubmit(); });
})();
