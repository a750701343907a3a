/* An import's page while the job runs: ask for its status every half second, move the
   progress bar, and reload the page (which then shows the report) when the job ends. */
(function () {
  "use strict";
  var section = document.getElementById("import");
  if (!section || section.dataset.finished === "true") { return; }
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  var rows = document.getElementById("import-rows");
  var url = section.dataset.statusUrl;

  function show(job) {
    if (job.rows_total) {
      bar.max = job.rows_total;
      bar.value = job.rows_done;
      rows.textContent = "(" + job.rows_done + " / " + job.rows_total + ")";
    }
    status.textContent = job.label;
    status.dataset.status = job.status;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
}());
