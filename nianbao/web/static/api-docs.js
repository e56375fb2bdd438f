// /api/docs: Swagger UI (vendored) on the app's own OpenAPI schema. Writes carry the session's CSRF token.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("swagger-ui");
    if (!el || typeof SwaggerUIBundle === "undefined") return;
    SwaggerUIBundle({
      url: el.dataset.spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null,          // no call to an outside validator: the intranet has none
      requestInterceptor: function (req) {
        if (req.method && req.method.toUpperCase() !== "GET") req.headers["X-CSRF-Token"] = el.dataset.csrf;
        return req;
      }
    });
  }
  if (document.readyState !== "loading") start(); else document.addEventListener("DOMContentLoaded", start);
})();
