import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { _Resources, Spec } from '@cyclonedx/cyclonedx-library';
import fs from 'node:fs';

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
  const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
  const { FILES } = _Resources;
  const ajv = new Ajv({
    strict: false,
    addUsedSchema: false,
    schemas: {
      'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': read(FILES.SPDX.JSON_SCHEMA),
      'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': read(FILES.CryptoDefs.JSON_SCHEMA),
      'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': read(FILES.JSF.JSON_SCHEMA),
    },
  });
  addFormats(ajv);
  ajv.addFormat('idn-email', true);
  ajv.addFormat('iri-reference', true);
  const validate = ajv.compile(read(FILES.CDX.JSON_SCHEMA[Spec.Version.v1dot6]!));
  return validate(JSON.parse(json)) ? [] : [...(validate.errors ?? [])];
}
