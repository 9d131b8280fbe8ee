import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';

/** The JSON schemas the CycloneDX library ships. */
const SCHEMAS = path.join(path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');

/**
 * Validates a CycloneDX 1.6 JSON document against the JSON schema the
 * CycloneDX library ships (with the SPDX, JSF and cryptography schemas it
 * references), using ajv as the library's own validator does. The
 * `idn-email` and `iri-reference` formats are accepted as they come (the
 * library checks them with ajv-formats-draft2019, which is not installed).
 *
 * @returns the schema errors; empty when the document is valid
 */
export function cycloneDxSchemaErrors(json: string): unknown[] {
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8'));
  const ajv = new Ajv({
    strict: false,
    addUsedSchema: false,
    schemas: {
      'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': read('spdx.SNAPSHOT.schema.json'),
      'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': read('cryptography-defs.SNAPSHOT.schema.json'),
      'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': read('jsf-0.82.SNAPSHOT.schema.json'),
    },
  });
  addFormats(ajv);
  ajv.addFormat('idn-email', true);
  ajv.addFormat('iri-reference', true);
  const validate = ajv.compile(read('bom-1.6.SNAPSHOT.schema.json'));
  return validate(JSON.parse(json)) ? [] : [...(validate.errors ?? [])];
}
