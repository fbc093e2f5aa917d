// Destructive actions of the server-rendered screens (delete, revoke, cancel) ask in the page,
// not in the browser's native confirm box: a modal <dialog>, so the browser keeps the focus
// inside it and makes the page behind inert; the safe answer has the focus, so a reflex Enter or
// Space changes nothing; Escape and a click on the backdrop cancel.
//
//   <form method="post" action="…/delete" data-confirm-title="Delete this webhook?"
//         data-confirm="The webhook to https://… and its delivery log are deleted."
//         data-confirm-button="Delete webhook">
//
// The attributes may sit on a submit button instead (a form with several actions): the button's
// win. data-confirm-cancel renames the safe answer (a "Cancel broadcast" question would otherwise
// offer two kinds of cancel). An empty data-confirm asks nothing (e.g. nothing is ticked).
//
// Without JavaScript, or in a browser without <dialog>, the form posts as before: every one of
// these actions is a POST the server checks on its own.
(() => {
  "use strict";
  if (typeof HTMLDialogElement !== "function" || !("showModal" in HTMLDialogElement.prototype)) return;

  let dialog = null;
  let pending = null; // { form, submitter } while the question is open
  let approved = null; // the form whose next submit event is the confirmed one

  function build() {
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.className = "fg-dialog fg-confirm";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.setAttribute("aria-describedby", "confirm-message");
    const form = document.createElement("form");
    form.method = "dialog";
    const title = document.createElement("h2");
    title.id = "confirm-title";
    const message = document.createElement("p");
    message.id = "confirm-message";
    const buttons = document.createElement("div");
    buttons.className = "dialog-buttons";
    const yes = document.createElement("button");
    yes.type = "submit";
    yes.value = "confirm";
    yes.id = "confirm-yes";
    yes.className = "danger";
    const no = document.createElement("button");
    no.type = "submit";
    no.value = "cancel";
    no.id = "confirm-no";
    no.autofocus = true;
    buttons.append(yes, no);
    form.append(title, message, buttons);
    dialog.append(form);
    document.body.append(dialog);

    dialog.addEventListener("close", () => {
      const asked = pending;
      pending = null;
      if (!asked) return;
      if (dialog.returnValue === "confirm") {
        approved = asked.form;
        // requestSubmit keeps the pressed button's name=value and runs the form's own handlers
        if (asked.submitter && asked.submitter.isConnected) asked.form.requestSubmit(asked.submitter);
        else asked.form.requestSubmit();
        approved = null;
      } else if (asked.submitter && asked.submitter.isConnected) {
        asked.submitter.focus();
      }
    });
    // The modal dialog makes the page inert, but Tab past the last button would still leave for
    // the browser's own controls: wrap between the two answers instead (as the editor's Dialog).
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const [first, last] = [yes, no];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    // a click on the dimmed backdrop (outside the card) is a "no"
    dialog.addEventListener("click", (event) => {
      if (event.target !== dialog) return;
      const r = dialog.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) dialog.close("cancel");
    });
  }

  function ask(form, submitter) {
    const from = (name) => (submitter && submitter.dataset[name] !== undefined ? submitter.dataset[name] : form.dataset[name]);
    if (!dialog) build();
    dialog.querySelector("#confirm-title").textContent = from("confirmTitle") || "Are you sure?";
    dialog.querySelector("#confirm-message").textContent = from("confirm");
    dialog.querySelector("#confirm-yes").textContent =
      from("confirmButton") || (submitter && submitter.textContent.trim()) || "Confirm";
    dialog.querySelector("#confirm-no").textContent = from("confirmCancel") || "Cancel";
    pending = { form, submitter };
    dialog.returnValue = ""; // Escape closes without touching it: a previous "confirm" must not stay
    dialog.showModal();
    dialog.querySelector("#confirm-no").focus();
  }

  // Capture phase: the question comes before any handler of the form itself.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form === approved) return;
      const submitter = event.submitter || null;
      const message = submitter && submitter.dataset.confirm !== undefined ? submitter.dataset.confirm : form.dataset.confirm;
      if (!message) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!pending) ask(form, submitter);
    },
    true,
  );
})();
