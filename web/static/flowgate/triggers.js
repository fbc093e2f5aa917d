// The new-trigger form shows only the fields of the chosen type. Without JavaScript every field
// shows and the server ignores the ones that don't apply.
(function () {
  "use strict";
  const form = document.getElementById("new-trigger");
  if (!form) return;
  const groups = form.querySelectorAll("[data-for-type]");

  function update() {
    const checked = form.querySelector("input[name=trigger_type]:checked");
    const type = checked ? checked.value : "keyword";
    groups.forEach((group) => {
      const show = group.dataset.forType.split(" ").includes(type);
      group.hidden = !show;
      // hidden fields must not block submission or be tabbed into
      group.querySelectorAll("input, select, textarea").forEach((el) => { el.disabled = !show; });
    });
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "trigger_type") update();
  });
  update();
})();
