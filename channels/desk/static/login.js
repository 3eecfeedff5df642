// Desk login: a double-submit CSRF token (cookie + header), then the session cookie (HttpOnly) is set.
(() => {
  "use strict";
  const form = document.getElementById("login");
  const problem = document.getElementById("login-error");
  let csrf = null;

  async function token() {
    const response = await fetch("/desk/login/csrf", { credentials: "same-origin" });
    csrf = (await response.json()).csrf;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    if (!csrf) await token();
    const response = await fetch("/desk/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ name: form.name.value.trim(), password: form.password.value }),
    });
    form.password.value = "";
    if (response.ok) {
      window.location.assign("/desk");
      return;
    }
    const body = await response.json().catch(() => ({}));
    problem.textContent = body.error || "Could not log in.";
    csrf = null;
  });
  token();
})();
