// Channel forms show only the settings that apply: a field marked data-show-when="config_x=a,b"
// is hidden (and left out of tab order) unless the setting config_x has one of those values.
(() => {
  const valueOf = (form, name) => {
    const el = form.elements[name];
    if (!el) return null;
    if (el.type === "checkbox") return el.checked ? "true" : "false";
    return el.value;
  };
  document.querySelectorAll("form").forEach((form) => {
    const dependents = [...form.querySelectorAll("[data-show-when]")];
    if (!dependents.length) return;
    const update = () => {
      for (const el of dependents) {
        const [name, values] = el.dataset.showWhen.split("=");
        const current = valueOf(form, name);
        const show = current === null || values.split(",").includes(current);
        const box = el.closest(".field") || el.parentElement;
        box.hidden = !show;
      }
    };
    form.addEventListener("change", update);
    update();
  });
})();
