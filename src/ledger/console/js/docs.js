// Swagger UI over this ledger's own /openapi.json; "Authorize" takes a bearer token, kept
// for this browser session only (the console's sign-in shares it).
/* global SwaggerUIBundle */
const TOKEN_KEY = "ledger.token";

window.addEventListener("DOMContentLoaded", () => {
  const ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    validatorUrl: null,
    onComplete: () => {
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) ui.preauthorizeApiKey("bearer", token);
    },
  });
  window.ledgerDocs = ui;
});
