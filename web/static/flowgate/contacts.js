// Contacts screens: pick a group filter without a second click, count what a message will cost
// (deletes ask through confirm.js). Every form works without this script (plain posts and gets).
(function () {
  "use strict";

  // Choosing a group filters at once; keyboard users moving through the options with arrow keys
  // would trigger a load per option, so only a mouse/touch "change" after a pointer event submits.
  const groupSelect = document.getElementById("id_group");
  if (groupSelect) {
    let pointer = false;
    groupSelect.addEventListener("pointerdown", () => { pointer = true; });
    groupSelect.addEventListener("keydown", () => { pointer = false; });
    groupSelect.addEventListener("change", () => {
      if (pointer) groupSelect.form.requestSubmit();
    });
  }

  // GSM-7 messages split at 160 characters (153 per part once split); others at 70 (67).
  const text = document.getElementById("id_text");
  const count = document.getElementById("text-count");
  if (text && count) {
    const gsm = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;
    const update = () => {
      const n = text.value.length;
      if (!n) { count.textContent = ""; return; }
      const [one, many] = gsm.test(text.value) ? [160, 153] : [70, 67];
      const parts = n <= one ? 1 : Math.ceil(n / many);
      count.textContent = `${n} characters · ${parts} SMS part${parts > 1 ? "s" : ""}`;
    };
    text.addEventListener("input", update);
    update();
  }

  // The "add field" picker: hint the value's format for the chosen field's type (the server
  // checks it either way).
  const addField = document.getElementById("add-field");
  const addValue = document.getElementById("add-field-value");
  if (addField && addValue) {
    const hints = { number: "a number, e.g. 36", datetime: "YYYY-MM-DD or YYYY-MM-DDTHH:MM" };
    const hint = () => {
      const type = addField.selectedOptions[0]?.dataset.type || "";
      addValue.placeholder = hints[type] || "value";
      addValue.inputMode = type === "number" ? "decimal" : "text";
    };
    addField.addEventListener("change", hint);
    hint();
  }
  // A smart group being recomputed: poll its status until it is ready, updating the count.
  const progress = document.getElementById("group-progress");
  if (progress && progress.dataset.status === "evaluating") {
    const poll = () => {
      fetch(progress.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => r.json())
        .then((data) => {
          document.getElementById("group-count").textContent = data.count;
          progress.dataset.status = data.status;
          if (data.status === "evaluating") { window.setTimeout(poll, 1000); return; }
          document.getElementById("group-status").textContent = "up to date";
          document.getElementById("group-bar")?.remove();
        })
        .catch(() => window.setTimeout(poll, 3000));
    };
    window.setTimeout(poll, 500);
  }
})();
