// The API documentation pages (/docs, /redoc) from vendored assets: no CDN, no inline script.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var swagger = document.getElementById("swagger-ui");
    if (swagger && window.SwaggerUIBundle) {
      window.SwaggerUIBundle({
        url: swagger.dataset.spec, dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
        showExtensions: true, showCommonExtensions: true,
        presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
      });
    }
    var redoc = document.getElementById("redoc");
    if (redoc && window.Redoc) {
      window.Redoc.init(redoc.dataset.spec, {}, redoc);
    }
  });
})();
