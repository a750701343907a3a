/* Ledger downloads with progress: count the postings of the range first, then read the
   download as it streams, moving the bar one line (one posting) at a time, and save it when
   complete. CSV and JSONL only (one posting a line); other formats, or any error, fall back
   to the browser's own download so the server's answer is shown as it is. */
(function () {
  "use strict";
  var form = document.getElementById("ledger-export");
  var box = document.getElementById("export-progress");
  if (!form || !box || !window.fetch || !window.ReadableStream) { return; }
  var bar = document.getElementById("export-bar");
  var status = document.getElementById("export-status");
  var fallback = false;

  function say(template, rows, total) {
    status.textContent = template.replace("%(rows)s", rows).replace("%(total)s", total);
  }

  function filename(response) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : "ledger";
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
  }

  function read(response, total) {
    var reader = response.body.getReader();
    var chunks = [];
    var lines = 0;
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) { return; }
        chunks.push(step.value);
        for (var i = 0; i < step.value.length; i += 1) { if (step.value[i] === 10) { lines += 1; } }
        var rows = Math.min(Math.max(lines - 1, 0), total);
        bar.value = rows;
        say(box.dataset.receiving, rows, total);
        return pump();
      });
    }
    return pump().then(function () {
      bar.value = total;
      say(box.dataset.done, total, total);
      save(new Blob(chunks, { type: response.headers.get("Content-Type") }), filename(response));
    });
  }

  function plain() {
    fallback = true;
    form.submit();
  }

  form.addEventListener("submit", function (event) {
    var kind = form.elements.format.value;
    if (fallback || event.submitter && event.submitter.name === "count" ||
        (kind !== "csv" && kind !== "jsonl")) { return; }
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    box.hidden = false;
    bar.removeAttribute("value");
    say(box.dataset.counting, 0, 0);
    fetch(box.dataset.countUrl + "?" + query, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("count " + response.status); }
        return response.json();
      })
      .then(function (counted) {
        bar.max = Math.max(counted.postings, 1);
        bar.value = 0;
        return fetch(form.action + "?" + query, { credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) { throw new Error("download " + response.status); }
            return read(response, counted.postings);
          });
      })
      .catch(function () { box.hidden = true; plain(); });
  });
}());
