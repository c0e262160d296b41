// Keeps a request's page up to date without reloading it for nothing: every few seconds it
// asks the server for the request's version (a few bytes) and compares it with the one the
// page was rendered with. When the request has moved on, the page reloads, unless the person
// has started typing into a form or the page says not to (an agreement being read): then a
// notice offers the latest version instead, and nothing typed is lost.
(function () {
  "use strict";
  var notice = document.getElementById("follow");
  if (!notice) {
    return;
  }
  var every = Number(notice.dataset.every) * 1000;
  var typed = false;
  document.addEventListener("input", function () {
    typed = true;
  });

  function changed() {
    if (notice.dataset.reload === "yes" && !typed) {
      window.location.reload();
      return;
    }
    var link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = notice.dataset.show;
    notice.textContent = notice.dataset.changed + " ";
    notice.appendChild(link);
  }

  function ask() {
    if (document.hidden) {
      document.addEventListener("visibilitychange", ask, { once: true });
      return;
    }
    fetch(notice.dataset.url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (answer) {
        // Logged out meanwhile (the session ended) or no longer a party: the page says why.
        if (answer.redirected || answer.status === 401 || answer.status === 403) {
          return changed();
        }
        if (!answer.ok) {
          return window.setTimeout(ask, every); // busy or restarting: ask again later
        }
        return answer.json().then(function (now) {
          if (now.version !== notice.dataset.version) {
            changed();
          } else {
            window.setTimeout(ask, every);
          }
        });
      })
      .catch(function () {
        window.setTimeout(ask, every); // offline for a moment
      });
  }

  window.setTimeout(ask, every);
})();
