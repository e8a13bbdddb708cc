// Mocha's spec reporter, plus a closing "N passed, N failed" line and (when MOCHA_SUMMARY names a
// file) the run's stats as JSON, for .ci/run. CommonJS because mocha loads reporters with require.
'use strict';
const fs = require('node:fs');
const { reporters, Runner } = require('mocha');

class SummaryReporter extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      if (process.env.MOCHA_SUMMARY) fs.writeFileSync(process.env.MOCHA_SUMMARY, JSON.stringify(s));
    });
  }
}
module.exports = SummaryReporter;
