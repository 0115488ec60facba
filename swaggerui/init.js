// Starts Swagger UI on the document named by <meta name="openapi-url">. No
// request leaves this origin: the online validator badge is off.
window.addEventListener('load', function () {
  'use strict';
  window.ui = SwaggerUIBundle({
    url: document.querySelector('meta[name="openapi-url"]').content,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
