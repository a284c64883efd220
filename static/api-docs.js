// The API docs page: Swagger UI (vendored) rendering this server's OpenAPI document.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
