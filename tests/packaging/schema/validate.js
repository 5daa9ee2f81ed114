// Validates YAML files against a JSON Schema in one node process (ajv 8 and js-yaml 3, the
// libraries ajv-cli 5 uses). Prints one line per file: "valid FILE", "invalid FILE: errors" or
// "unparsable FILE: message" (a YAML error: duplicate key, several documents, ...).
//   NODE_PATH=/var/cache/stagehand-npm/node_modules node validate.js SCHEMA FILE...
'use strict';
const fs = require('fs');
const Ajv = require('ajv').default;
const yaml = require('js-yaml');

const [schemaPath, ...files] = process.argv.slice(2);
// Strict mode catches typos in the schema itself; `required` inside oneOf branches names
// properties defined next to it, which strictRequired cannot see.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
for (const file of files) {
  let data;
  try {
    data = yaml.safeLoad(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.log(`unparsable ${file}: ${String(e.message).split('\n')[0]}`);
    continue;
  }
  if (validate(data)) {
    console.log(`valid ${file}`);
  } else {
    console.log(`invalid ${file}: ${ajv.errorsText(validate.errors)}`);
  }
}
