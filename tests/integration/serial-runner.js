/**
 * Jest's default runner, serial: the integration tests share real services (Redis, Dovecot) and
 * time-sensitive checks (IDLE latency), so they run one file at a time while the unit project
 * keeps its parallel workers. (maxWorkers is a global option only; `isSerial` is per runner.)
 */
const TestRunner = require('jest-runner').default;

class SerialTestRunner extends TestRunner {
  constructor(...args) {
    super(...args);
    this.isSerial = true;
  }
}

module.exports = SerialTestRunner;
