// Validates CSAF 2.0 documents with the BSI's csaf-validator-lib (the
// validator Secvisogram uses): the strict schema test and every mandatory
// test (basic.js) decide; the optional tests (6.2) are reported.
// Usage: node validate.js FILE... ; prints one JSON line per file and exits
// 1 when a file fails a schema or mandatory test.
import { readFileSync } from 'node:fs'
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as basic from '@secvisogram/csaf-validator-lib/basic.js'
import * as optional from '@secvisogram/csaf-validator-lib/optionalTests.js'

let failed = false
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const mandatory = await validate(Object.values(basic), doc)
  const opt = await validate(Object.values(optional), doc)
  const problems = (r) =>
    r.tests
      .filter((t) => !t.isValid || t.errors.length > 0 || t.warnings.length > 0)
      .map((t) => ({ name: t.name, errors: t.errors, warnings: t.warnings }))
  console.log(
    JSON.stringify({
      file,
      isValid: mandatory.isValid,
      tests: mandatory.tests.length,
      failed: problems(mandatory),
      optional: problems(opt),
    }),
  )
  failed = failed || !mandatory.isValid
}
process.exit(failed ? 1 : 0)
