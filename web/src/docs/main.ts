/** Starts Swagger UI on /openapi.json: try-it-out on, no validator badge (it would call another origin). */

type SwaggerUIBundle = (config: Record<string, unknown>) => unknown;

const swagger = (window as unknown as { SwaggerUIBundle?: SwaggerUIBundle }).SwaggerUIBundle;
if (swagger) {
  swagger({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    validatorUrl: null,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
  });
} else {
  document.body.textContent = 'The API reference script did not load; /openapi.json has the document.';
}
