// The try-it page without reloads: the form posts as usual, asking for the result alone
// (X-Fragment: 1), which replaces the result region. Without this script the same form
// posts and the whole page comes back, so the page works with scripts off too.
"use strict";

function enhance(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("result");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.setAttribute("aria-busy", "true");
    try {
      const answer = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "X-Fragment": "1" },
        credentials: "same-origin",
      });
      // The server renders every answer (errors included) as the result's markup, with
      // everything a user typed escaped; parse it rather than run anything in it.
      const html = await answer.text();
      const parsed = new DOMParser().parseFromString(html, "text/html");
      result.replaceChildren(...parsed.body.childNodes);
      const feedback = document.getElementById("feedback-form");
      if (feedback) enhance(feedback);
    } catch (error) {
      const message = document.createElement("p");
      message.className = "flash error";
      message.setAttribute("role", "alert");
      message.textContent = "The server did not answer: " + error.message;
      result.replaceChildren(message);
    } finally {
      button.disabled = false;
      result.removeAttribute("aria-busy");
    }
  });
}

enhance(document.getElementById("classify-form"));
