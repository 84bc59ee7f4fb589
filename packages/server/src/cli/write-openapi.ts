import { writeFile } from 'node:fs/promises';
import { openapi_path, openapiDocument } from '../http/openapi-document.js';

/** `npm run openapi`: regenerates the committed openapi.json from the route schemas. */
await writeFile(openapi_path, await openapiDocument());
process.stdout.write(`wrote ${openapi_path}\n`);
